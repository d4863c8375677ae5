// Newline-delimited JSON for a sequence of objects (an array, any iterable or an async iterable): one JSON
// text per line, sent as they come, a few lines per chunk.
import type { Serializer } from './serializer.js';

export interface NdjsonOptions {
  /** Lines are gathered into chunks of about this many bytes (a slow source flushes each line). */
  sliceBytes?: number;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}

function isIterable(value: unknown): value is Iterable<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as Iterable<unknown>)[Symbol.iterator] === 'function';
}

function line(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) throw new TypeError(`${typeof value} cannot be serialized as JSON`);
  return `${text}\n`;
}

export function ndjson(options: NdjsonOptions = {}): Serializer {
  const sliceBytes = options.sliceBytes ?? 16 * 1024;
  return {
    name: 'ndjson',
    contentType: 'application/x-ndjson',
    async *stream(value: unknown): AsyncGenerator<string> {
      if (isAsyncIterable(value)) {
        // An async source: each line goes out as soon as it is made (the producer sets the pace).
        for await (const item of value) yield line(item);
        return;
      }
      if (!isIterable(value)) throw new TypeError('ndjson() serializes iterables and async iterables');
      let slice = '';
      for (const item of value) {
        slice += line(item);
        if (slice.length >= sliceBytes) {
          yield slice;
          slice = '';
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
      if (slice !== '') yield slice;
    },
  };
}
