// The serializer contract: turn a result's body into bytes, whole or as a stream of chunks.

export type Chunk = string | Uint8Array;

export interface Serializer {
  /** Shown in traces, timings and errors. */
  readonly name: string;
  /** Sent as Content-Type unless the result sets one; also what `Accept` is matched against. */
  readonly contentType: string;
  /** Whole-body form: the body in one piece (strings are sent as UTF-8). */
  serialize?(value: unknown): Chunk;
  /** Streaming form: chunks pulled by the write queue only while the socket can take more. */
  stream?(value: unknown): AsyncIterable<Chunk>;
}

/** Checks a user serializer once, when it is registered, rather than on every request. */
export function checkSerializer(serializer: Serializer): Serializer {
  if (typeof serializer !== 'object' || serializer === null) throw new TypeError('a serializer must be an object');
  if (typeof serializer.name !== 'string' || serializer.name === '') throw new TypeError('a serializer needs a name');
  if (typeof serializer.contentType !== 'string' || !/^[\t\x20-\x7e]+$/.test(serializer.contentType)) {
    throw new TypeError(`serializer "${serializer.name}" needs a valid contentType`);
  }
  if (typeof serializer.serialize !== 'function' && typeof serializer.stream !== 'function') {
    throw new TypeError(`serializer "${serializer.name}" needs serialize() or stream()`);
  }
  return serializer;
}
