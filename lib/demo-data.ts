// The demo's orders: a result set that grows from 50 to 5,000 rows (the story of the serialize stage).
// Each order depends only on its index, so the same N always gives the same bytes.

export interface OrderItem {
  sku: string;
  quantity: number;
  price: number;
}

export interface Order {
  id: number;
  customer: string;
  status: 'pending' | 'paid' | 'shipped' | 'delivered' | 'cancelled';
  total: number;
  currency: 'EUR' | 'USD' | 'GBP';
  items: OrderItem[];
  createdAt: string;
}

const STATUSES = ['pending', 'paid', 'shipped', 'delivered', 'cancelled'] as const;
const CURRENCIES = ['EUR', 'USD', 'GBP'] as const;
const EPOCH = Date.UTC(2026, 0, 1);

export function order(i: number): Order {
  const items: OrderItem[] = [];
  const count = 1 + (i % 3);
  let total = 0;
  for (let k = 0; k < count; k++) {
    const price = ((i * 31 + k * 17) % 9000) / 100 + 1;
    const quantity = 1 + ((i + k) % 4);
    items.push({ sku: `SKU-${(i * 7 + k * 13) % 10000}`.padEnd(9, '0'), quantity, price });
    total += price * quantity;
  }
  return {
    id: i + 1,
    customer: `customer-${(i * 7919) % 1000}`,
    status: STATUSES[i % STATUSES.length] as Order['status'],
    total: Math.round(total * 100) / 100,
    currency: CURRENCIES[i % CURRENCIES.length] as Order['currency'],
    items,
    createdAt: new Date(EPOCH + i * 60_000).toISOString(),
  };
}

/** The same rows, made one by one as they are asked for (for the streaming serializers). */
export function* orderRows(rows: number): Generator<Order> {
  for (let i = 0; i < rows; i++) yield order(i);
}

export function orders(rows: number): Order[] {
  const list: Order[] = new Array(rows);
  for (let i = 0; i < rows; i++) list[i] = order(i);
  return list;
}

/** The JSON Schema of an order list, for schemaJson(). */
export const ORDERS_SCHEMA = {
  type: 'array',
  items: {
    type: 'object',
    properties: {
      id: { type: 'integer' },
      customer: { type: 'string' },
      status: { type: 'string' },
      total: { type: 'number' },
      currency: { type: 'string' },
      items: {
        type: 'array',
        items: {
          type: 'object',
          properties: { sku: { type: 'string' }, quantity: { type: 'integer' }, price: { type: 'number' } },
          required: ['sku', 'quantity', 'price'],
        },
      },
      createdAt: { type: 'string' },
    },
    required: ['id', 'customer', 'status', 'total', 'currency', 'items', 'createdAt'],
  },
} as const;
