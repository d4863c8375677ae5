// The result a handler returns: status, headers and a body that a serializer turns into bytes.
import type { Serializer } from './serializers/serializer.js';

export type HeaderValue = string | number | readonly string[];
/** Response headers: an object (a name may hold several values) or a list of [name, value] pairs. */
export type HeaderInput =
  | Readonly<Record<string, HeaderValue | undefined>>
  | readonly (readonly [string, string | number])[];
/** Trailer fields sent after a chunked body; a function is called once the body has ended. */
export type TrailerInput = HeaderInput | (() => HeaderInput | Promise<HeaderInput>);

export interface Result {
  /** Defaults to 200. */
  status?: number;
  headers?: HeaderInput;
  /** A value for the serializer, a string, bytes, or a stream (async iterable, Node Readable, ReadableStream). */
  body?: unknown;
  /** Overrides the route's and the server's serializer for this result. */
  serializer?: Serializer;
  /** The exact byte length of a streamed body: sent as Content-Length and enforced. */
  length?: number;
  /** Trailer fields for a streamed body sent chunked. */
  trailers?: TrailerInput;
  /** The status line's reason phrase, when not the standard one ("HTTP/1.1 200 Fine"). Clients must ignore it. */
  reason?: string;
}

const RESULT = Symbol.for('h1wire.result');
const RESULT_KEYS = new Set(['status', 'headers', 'body', 'serializer', 'length', 'trailers', 'reason']);

/** Makes a result explicitly: `return reply(201, { id }, { location: '/items/1' })`. */
export function reply(status: number, body?: unknown, headers?: HeaderInput): Result {
  const result: Result & { [RESULT]?: true } = { status, body, headers };
  result[RESULT] = true;
  return result;
}

/**
 * A handler's return value is a Result when `reply()` made it, or when it is a plain object with a numeric
 * `status` or a `body`, and no keys but result keys (status, headers, body, serializer, length, trailers, reason).
 * So `{ status: 201, body }` and `{ body: stream, headers }` are results, while `{ status: 'ok' }`,
 * `{ length: 3 }` or `{ id: 1 }` are values for a 200.
 */
export function isResult(value: unknown): value is Result {
  if (typeof value !== 'object' || value === null) return false;
  if ((value as { [RESULT]?: true })[RESULT] === true) return true;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  const status = (value as Result).status;
  if (status !== undefined && typeof status !== 'number') return false;
  if (status === undefined && !('body' in value)) return false; // { length: 3 } is data, not a result
  for (const key in value) if (!RESULT_KEYS.has(key)) return false;
  return true;
}
