// The bodies the benchmarked routes answer with, shared by the node:http baseline and the raw ceiling.
// Both mirror lib/demo.ts: `GET /` → {"hello":"world"}, `GET /orders?rows=N` → JSON.stringify(orders(N)),
// with the demo's default JSON serializer (JSON.stringify) and Content-Type.
import { orders } from '../../lib/demo-data.js';

export const CONTENT_TYPE = 'application/json';
export const MAX_ROWS = 100_000; // lib/demo.ts MAX_ROWS

/** `rows` as lib/demo.ts reads it: an integer from 0 to MAX_ROWS, 50 when absent, null when invalid. */
export function rowsParam(raw: string | null): number | null {
  if (raw === null) return 50;
  if (!/^[0-9]{1,9}$/.test(raw)) return null;
  const value = Number(raw);
  return value > MAX_ROWS ? null : value;
}

/** The JSON body for a request target, or null for a route the benchmarks do not use. */
export function bodyFor(target: string): string | null {
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  if (path === '/') return JSON.stringify({ hello: 'world' });
  if (path === '/orders') {
    const rows = rowsParam(new URLSearchParams(q < 0 ? '' : target.slice(q + 1)).get('rows'));
    return rows === null ? null : JSON.stringify(orders(rows));
  }
  return null;
}
