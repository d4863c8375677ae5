// An incremental JSON array writer. JSON.stringify of 5,000 rows is one block of CPU that stalls every other
// connection; this writes the array in slices of about `sliceBytes`, going back to the event loop between
// slices, and the write queue pulls the next slice only while the socket takes more (backpressure).
import type { Chunk, Serializer } from './serializer.js';

export interface JsonArrayOptions {
  /** Bytes per slice (a slice ends at the first element boundary past it). */
  sliceBytes?: number;
  /** Serializes one element (default JSON.stringify); e.g. a schemaJson() of the item schema. */
  item?: Serializer;
}

/** Lets the event loop run I/O callbacks before the next slice. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}

function isIterable(value: unknown): value is Iterable<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as Iterable<unknown>)[Symbol.iterator] === 'function';
}

/**
 * Serializes an array, or any iterable or async iterable of elements (a generator that makes rows as they are
 * asked for keeps even the data from being one block, and lets each row die young instead of keeping the
 * whole set alive across every slice).
 */
export function jsonArray(options: JsonArrayOptions = {}): Serializer {
  const sliceBytes = options.sliceBytes ?? 16 * 1024;
  const item = options.item;
  const one = item?.serialize !== undefined ? (v: unknown) => (item.serialize as (v: unknown) => Chunk)(v) : (v: unknown) => JSON.stringify(v);
  const text = (value: unknown, index: number): string => {
    const out = one(value === undefined ? null : value);
    if (typeof out !== 'string') throw new TypeError(`element ${index} cannot be serialized as JSON`);
    return out;
  };
  return {
    name: 'json-array',
    contentType: 'application/json',
    async *stream(value: unknown): AsyncGenerator<string> {
      let slice = '[';
      let index = 0;
      if (isAsyncIterable(value)) {
        // An async source sets its own pace: its awaits give the event loop its turns, so no extra yield here.
        for await (const element of value) {
          slice += index === 0 ? text(element, index) : `,${text(element, index)}`;
          index++;
          if (slice.length >= sliceBytes) {
            yield slice;
            slice = '';
          }
        }
      } else if (isIterable(value) && typeof value !== 'string') {
        for (const element of value) {
          slice += index === 0 ? text(element, index) : `,${text(element, index)}`;
          index++;
          if (slice.length >= sliceBytes) {
            yield slice;
            slice = '';
            await yieldToEventLoop();
          }
        }
      } else {
        throw new TypeError('jsonArray() serializes arrays, iterables and async iterables');
      }
      yield `${slice}]`;
    },
  };
}
