// Streamed response bodies, whatever their kind (async iterable, Node Readable, web ReadableStream), behind
// one pull interface: the write queue asks for the next chunk only when the socket can take it, and cancels
// the source the moment the client is gone.
import type { Chunk } from './serializers/serializer.js';

export interface BodySource {
  /** The next non-empty chunk, or null at the end. */
  next(): Promise<Chunk | null>;
  /** Stops the producer: return() on an iterator, destroy() on a Readable, cancel() on a ReadableStream. */
  cancel(reason: unknown): void;
}

interface WebReader {
  read(): Promise<{ done: boolean; value?: unknown }>;
  cancel(reason?: unknown): Promise<void>;
}

function isWebStream(value: object): value is { getReader(): WebReader } {
  return typeof (value as { getReader?: unknown }).getReader === 'function';
}

function isNodeReadable(value: object): value is AsyncIterable<unknown> & { destroy(error?: Error): void } {
  const v = value as { pipe?: unknown; destroy?: unknown; [Symbol.asyncIterator]?: unknown };
  return typeof v.pipe === 'function' && typeof v.destroy === 'function' && typeof v[Symbol.asyncIterator] === 'function';
}

/** A body that is sent as a stream rather than serialized whole. Strings and arrays are not streams. */
export function isStreamBody(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  return typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function' || isWebStream(value);
}

function ignore(): void {}

function checkChunk(value: unknown): Chunk {
  if (typeof value === 'string' || value instanceof Uint8Array) return value;
  throw new TypeError(`a streamed body yielded ${value === null ? 'null' : typeof value}; chunks must be strings or Uint8Arrays`);
}

export function toBodySource(value: unknown): BodySource {
  const body = value as object;
  if (isWebStream(body) && !isNodeReadable(body)) {
    const reader = body.getReader();
    return {
      async next() {
        for (;;) {
          const { done, value: chunk } = await reader.read();
          if (done) return null;
          const checked = checkChunk(chunk);
          if (checked.length > 0) return checked;
        }
      },
      cancel(reason) {
        reader.cancel(reason).catch(() => {});
      },
    };
  }
  const readable = isNodeReadable(body) ? body : null;
  // A Readable may fail while its response still waits in the queue, before anyone iterates it: its error
  // then reaches us through the iterator (or not at all, if it is cancelled), never as an unhandled 'error'.
  if (readable !== null) (readable as unknown as { on(e: string, f: () => void): void }).on('error', ignore);
  const iterator = (body as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  return {
    async next() {
      for (;;) {
        const step = await iterator.next();
        if (step.done === true) return null;
        const checked = checkChunk(step.value);
        if (checked.length > 0) return checked;
      }
    },
    cancel() {
      if (readable !== null) readable.destroy();
      const done = iterator.return?.();
      if (done !== undefined) Promise.resolve(done).catch(() => {});
    },
  };
}

/**
 * A whole body (already in memory) handed out in slices of about `sliceBytes`, so that a large one leaves as
 * the socket drains, like a stream: what is buffered stays near the high-water mark, a slow reader's progress
 * shows slice by slice (the write-stall deadline sees it), and a string is never encoded to bytes whole.
 * Strings are cut between UTF-16 code units, never inside a surrogate pair.
 */
export function sliceSource(body: Chunk, sliceBytes: number): BodySource {
  let at = 0;
  return {
    next() {
      if (at >= body.length) return Promise.resolve(null);
      let end = Math.min(at + sliceBytes, body.length);
      if (typeof body === 'string') {
        const last = body.charCodeAt(end - 1);
        if (end < body.length && last >= 0xd800 && last <= 0xdbff) end--; // keep the pair together
        const slice = body.slice(at, end);
        at = end;
        return Promise.resolve(slice);
      }
      const slice = body.subarray(at, end);
      at = end;
      return Promise.resolve(slice);
    },
    cancel() {
      at = body.length;
    },
  };
}
