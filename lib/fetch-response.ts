// A web (WHATWG fetch) Response → an h1wire Result: status, reason, every header (each Set-Cookie its own field),
// and the body. A body that is in memory (string, bytes, Blob, URLSearchParams, FormData: what undici hands out
// as one chunk and then ends) is sent with Content-Length; one that keeps producing (a ReadableStream the app
// made) is streamed through the write queue, chunked, pulled only while the socket takes more.
import type { ReadableStreamDefaultReader, ReadableStreamReadResult } from 'node:stream/web';
import { InvalidResponseError } from './errors.js';
import { claimBody, defaultType, lightParts } from './fetch-light-response.js';
import type { Result } from './result.js';
import type { Serializer } from './serializers/serializer.js';
import { statusHasNoBody, statusText } from './status.js';

/** Bytes as they are, with no Content-Type unless the Response has one (node:http adds none either). The
 * contentType of null is read by serialize.ts as "send none"; these serializers are never negotiated. */
const AS_IS_WHOLE: Serializer = { name: 'fetch', contentType: null as unknown as string, serialize: (body) => body as Uint8Array };
/** AS_IS_WHOLE with a Content-Type, one per type (a server answers few), so the frame stage can use its cached
 * head; past TYPED_CACHE_SIZE types each is made per use (still correct, just not cached). */
const TYPED_CACHE_SIZE = 32;
const typed = new Map<string, Serializer>();
const PLAIN_TYPE = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/; // printable ASCII, no edge spaces (undici trims them)

function typedAsIs(contentType: string): Serializer {
  let serializer = typed.get(contentType);
  if (serializer === undefined) {
    serializer = { name: 'fetch', contentType, serialize: (body) => body as Uint8Array };
    if (typed.size < TYPED_CACHE_SIZE) typed.set(contentType, serializer);
  }
  return serializer;
}

const AS_IS_STREAM: Serializer = {
  name: 'fetch',
  contentType: null as unknown as string,
  stream: (body) => body as AsyncIterable<Uint8Array>,
};

type Read = ReadableStreamReadResult<Uint8Array>;

/** `promise`'s value if it settles within the microtasks already queued or, failing that, before the next
 * turn of the event loop; null if it is still pending then; its error if it failed by then (nothing is sent
 * yet: a 500). undici's in-memory bodies (strings, bytes) end within a few microtasks of their one chunk, a
 * Blob's (on Node 24) within a turn; a stream the app feeds does not. */
function settledSoon(promise: Promise<Read>): Promise<Read | null> {
  let done: Read | null = null;
  let failed = false;
  let error: unknown;
  promise.then(
    (value) => {
      done = value;
    },
    (reason: unknown) => {
      failed = true;
      error = reason;
    },
  );
  const outcome = (): Read | null => {
    if (failed) throw error;
    return done;
  };
  return Promise.resolve()
    .then(() => undefined)
    .then(() => undefined)
    .then(() => outcome() ?? new Promise<void>((resolve) => setImmediate(resolve)).then(outcome));
}

/** The stream from where the checks left it, as an async iterator the write queue pulls: `held`, a chunk
 * already read (or null), then `pending`, a read already asked for (or null), then the reader. return()
 * cancels the app's stream even when nothing was pulled yet (a response dropped because its client left). */
function rest(first: Uint8Array | null, pending: Promise<Read> | null, reader: ReadableStreamDefaultReader<Uint8Array>): AsyncIterableIterator<Uint8Array> {
  let held: Uint8Array | null = first;
  let next: Promise<Read> | null = pending;
  const iterator: AsyncIterableIterator<Uint8Array> = {
    [Symbol.asyncIterator]: () => iterator,
    async next() {
      if (held !== null) {
        const value = held;
        held = null;
        return { done: false, value };
      }
      const step = await (next ?? reader.read());
      next = null;
      return step.done === true ? { done: true, value: undefined } : { done: false, value: step.value };
    },
    async return() {
      held = null;
      next = null;
      reader.cancel().catch(() => {}); // stops the producer; a no-op once the stream has ended
      return { done: true, value: undefined };
    },
  };
  return iterator;
}

function headersOf(headers: Headers): [string, string][] {
  const list: [string, string][] = [];
  let cookies = false;
  for (const [name, value] of headers) {
    if (name === 'set-cookie') cookies = true;
    // The server frames the body itself (hono/streaming sets Transfer-Encoding: chunked; node:http drops it too
    // when it frames by length); any other value would be refused as a header a handler may not set.
    else if (name !== 'transfer-encoding') list.push([name, value]);
  }
  if (cookies) for (const cookie of headers.getSetCookie()) list.push(['set-cookie', cookie]);
  return list;
}

/** Header fields from a light response's init, as given (a record or pairs), with undici's default type. */
function initPairs(init: unknown, type: string | null): [string, string][] {
  if (init instanceof Headers) return headersOf(init);
  const list: [string, string][] = [];
  const entries = Array.isArray(init) ? (init as [string, string][]) : init === undefined || init === null ? [] : Object.entries(init as Record<string, string>);
  let typed = type === null;
  for (const [name, value] of entries) {
    const lower = name.toLowerCase();
    if (lower === 'transfer-encoding') continue;
    if (lower === 'content-type') typed = true;
    list.push([name, String(value)]);
  }
  if (!typed) list.push(['content-type', type as string]);
  return list;
}

/** The one Content-Type of a light response whose headers say nothing else (Hono's c.json, c.text, c.html:
 * `{ 'Content-Type': … }`), or null. Only plain printable ASCII: the value goes into the head unchecked. */
function onlyContentType(init: unknown, type: string | null): string | null {
  if (init === undefined || init === null) return type;
  if (typeof init !== 'object' || Object.getPrototypeOf(init) !== Object.prototype) return null;
  let only: string | null = null;
  for (const name in init) {
    if (only !== null || !isContentType(name)) return null;
    const value = (init as Record<string, unknown>)[name];
    if (typeof value !== 'string' || (!typed.has(value) && !PLAIN_TYPE.test(value))) return null;
    only = value;
  }
  return only ?? type;
}

function isContentType(name: string): boolean {
  return name === 'Content-Type' || name === 'content-type' || (name.length === 12 && name.toLowerCase() === 'content-type');
}

/** Whether a Content-Type given as a serializer's reaches the wire: not on 1xx, 204, 304 (no body, so the frame
 * stage writes none) nor on 205 (serialize.ts sends it empty, untyped). Those keep their headers as fields. */
function typeReachesWire(status: number): boolean {
  return !statusHasNoBody(status) && status !== 205;
}

/** The Result of a light response never made real: its body and init as the app gave them, no stream, no
 * Headers object, no promise. A Content-Type alone becomes the serializer's type, so the head is the frame
 * stage's cached one; any other header goes through headerBlock's checks as usual. */
function lightResult(light: NonNullable<ReturnType<typeof lightParts>>, isHead: boolean): Result {
  const status = light.status;
  const result: Result = { status };
  if (light.statusText !== '' && light.statusText !== statusText(status)) result.reason = light.statusText;
  const body = light.body;
  const type = defaultType(light);
  const only = body !== null && typeReachesWire(status) ? onlyContentType(light.headers, type) : null;
  if (only !== null) {
    result.body = body;
    result.serializer = typedAsIs(only);
    return result;
  }
  result.headers = initPairs(light.headers, type);
  if (body !== null) {
    result.body = body;
    result.serializer = AS_IS_WHOLE;
  } else if (isHead) headLength(result, light.lengthHint);
  return result;
}

function hasLengthField(headers: [string, string][]): boolean {
  for (const [name] of headers) if (name.length === 14 && name.toLowerCase() === 'content-length') return true;
  return false;
}

/** A body that ends at once: for a HEAD answer of unknown length, framed chunked and never read. */
async function* nothing(): AsyncGenerator<Uint8Array> {}

/**
 * A HEAD answered by a Response with no body and no Content-Length (apps drop the body themselves: Hono answers
 * HEAD with `new Response(null, getResponse)`). RFC 9110 §8.6: a Content-Length there MUST be the GET's, so
 * `Content-Length: 0` would be false. The GET's length when the light Response knows it (`lengthHint`); else a
 * body of unknown length, which h1wire frames chunked: no length claimed, and nothing follows the head.
 */
function headLength(result: Result, lengthHint: number): void {
  if (statusHasNoBody(result.status ?? 200) || hasLengthField(result.headers as [string, string][])) return;
  if (lengthHint >= 0) result.length = lengthHint;
  else {
    result.body = nothing();
    result.serializer = AS_IS_STREAM;
  }
}

function isResponse(value: unknown): value is Response {
  return value instanceof Response;
}

/** The Result for a web Response: at once (no promise) when the body is in memory or null, else a promise that
 * settles once the body is known to be whole or a stream. Throws (→ 500, H1W_NOT_A_RESPONSE) for anything that
 * is not a Response. `isHead`: the request was HEAD, so a null body says nothing of the length. */
export function toResult(value: unknown, isHead: boolean): Result | Promise<Result> {
  if (!isResponse(value)) {
    throw new InvalidResponseError(`a fetch handler returned ${value === null ? 'null' : typeof value}, not a Response`, 'H1W_NOT_A_RESPONSE');
  }
  const light = lightParts(value);
  if (light !== null) {
    claimBody(light);
    return lightResult(light, isHead);
  }
  const response = value;
  const result: Result = { status: response.status, headers: headersOf(response.headers) };
  const text = response.statusText;
  if (text !== '' && text !== statusText(response.status)) result.reason = text;
  const body = response.body;
  if (body === null) {
    if (isHead) headLength(result, -1);
    return result;
  }
  return readBody(result, body);
}

/**
 * A body that ends within settledSoon of its first chunk is whole (sent with Content-Length); any other becomes
 * a stream. Neither read waits longer than that: a stream whose first chunk is slow (an SSE stream before its
 * first event) goes to the write queue as it is, so its head leaves after one turn of the loop as for any
 * streamed body (stream-pull.ts; node-server flushes its head too), and the queue cancels it if the client
 * leaves. Awaiting the first chunk here would hold the head back for as long as the app is silent, and a
 * stream that never speaks would never be cancelled: its exchange is abandoned, but it is not handed over yet.
 * A stream that fails at once still becomes a 500 (stream-pull.ts: nothing was sent); later, a reset.
 */
async function readBody(result: Result, body: ReadableStream<Uint8Array>): Promise<Result> {
  const reader = body.getReader();
  const read = reader.read();
  const first = await settledSoon(read);
  if (first === null) return streamed(result, rest(null, read, reader));
  if (first.done === true) return result;
  const next = reader.read();
  const end = await settledSoon(next);
  if (end !== null && end.done === true) {
    result.body = first.value;
    result.serializer = AS_IS_WHOLE;
    return result;
  }
  return streamed(result, rest(first.value, next, reader));
}

function streamed(result: Result, body: AsyncIterableIterator<Uint8Array>): Result {
  result.body = body;
  result.serializer = AS_IS_STREAM;
  return result;
}
