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

export function jsonArray(options: JsonArrayOptions = {}): Serializer {
  const sliceBytes = options.sliceBytes ?? 16 * 1024;
  const item = options.item;
  const one = item?.serialize !== undefined ? (v: unknown) => (item.serialize as (v: unknown) => Chunk)(v) : (v: unknown) => JSON.stringify(v);
  return {
    name: 'json-array',
    contentType: 'application/json',
    async *stream(value: unknown): AsyncGenerator<string> {
      if (!Array.isArray(value)) throw new TypeError('jsonArray() serializes arrays');
      let slice = '[';
      for (let i = 0; i < value.length; i++) {
        const text = one(value[i] === undefined ? null : value[i]);
        if (typeof text !== 'string') throw new TypeError(`element ${i} cannot be serialized as JSON`);
        slice += i === 0 ? text : `,${text}`;
        if (slice.length >= sliceBytes) {
          yield slice;
          slice = '';
          await yieldToEventLoop();
        }
      }
      yield `${slice}]`;
    },
  };
}
