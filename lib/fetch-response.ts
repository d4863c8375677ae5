// A web (WHATWG fetch) Response → an h1wire Result: status, reason, every header (each Set-Cookie its own field),
// and the body. A body that is in memory (string, bytes, Blob, URLSearchParams, FormData: what undici hands out
// as one chunk and then ends) is sent with Content-Length; one that keeps producing (a ReadableStream the app
// made) is streamed through the write queue, chunked, pulled only while the socket takes more.
import type { ReadableStreamDefaultReader, ReadableStreamReadResult } from 'node:stream/web';
import { InvalidResponseError } from './errors.js';
import { defaultType, lightParts } from './fetch-light-response.js';
import type { Result } from './result.js';
import type { Serializer } from './serializers/serializer.js';
import { statusText } from './status.js';

/** Bytes as they are, with no Content-Type unless the Response has one (node:http adds none either). The
 * contentType of null is read by serialize.ts as "send none"; these serializers are never negotiated. */
const AS_IS_WHOLE: Serializer = { name: 'fetch', contentType: null as unknown as string, serialize: (body) => body as Uint8Array };
const AS_IS_STREAM: Serializer = {
  name: 'fetch',
  contentType: null as unknown as string,
  stream: (body) => body as AsyncIterable<Uint8Array>,
};

type Read = ReadableStreamReadResult<Uint8Array>;

/** `promise`'s value if it settles within the microtasks already queued or, failing that, before the next
 * turn of the event loop; null if it is still pending then. undici's in-memory bodies (strings, bytes) end within
 * a few microtasks of their one chunk, a Blob's (on Node 24) within a turn; a stream the app feeds does not. */
function settledSoon(promise: Promise<Read>): Promise<Read | null> {
  let done: Read | null = null;
  promise.then(
    (value) => {
      done = value;
    },
    () => {},
  );
  return Promise.resolve()
    .then(() => undefined)
    .then(() => undefined)
    .then(() => undefined)
    .then(() => done ?? new Promise<Read | null>((resolve) => setImmediate(() => resolve(done))));
}

/** The stream from its first chunk on, as an async iterator the write queue pulls. return() cancels the app's
 * stream even when nothing was pulled yet (a response dropped because its client left). */
function rest(first: Uint8Array, pending: Promise<Read>, reader: ReadableStreamDefaultReader<Uint8Array>): AsyncIterableIterator<Uint8Array> {
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

function isResponse(value: unknown): value is Response {
  return value instanceof Response;
}

/** The Result for a web Response. Rejects (→ 500, H1W_NOT_A_RESPONSE) for anything that is not a Response. */
export async function toResult(value: unknown): Promise<Result> {
  if (!isResponse(value)) {
    throw new InvalidResponseError(`a fetch handler returned ${value === null ? 'null' : typeof value}, not a Response`, 'H1W_NOT_A_RESPONSE');
  }
  const light = lightParts(value);
  if (light !== null) {
    // A light response never made real: its body and init as the app gave them, no stream at all.
    const result: Result = { status: light.status, headers: initPairs(light.headers, defaultType(light)) };
    if (light.statusText !== '' && light.statusText !== statusText(light.status)) result.reason = light.statusText;
    if (light.body !== null) {
      result.body = light.body;
      result.serializer = AS_IS_WHOLE;
    }
    return result;
  }
  const response = value;
  const result: Result = { status: response.status, headers: headersOf(response.headers) };
  const text = response.statusText;
  if (text !== '' && text !== statusText(response.status)) result.reason = text;
  const body = response.body;
  if (body === null) return result;
  const reader = body.getReader();
  const first = await reader.read();
  if (first.done === true) return result;
  const next = reader.read();
  const end = await settledSoon(next);
  if (end !== null && end.done === true) {
    result.body = first.value;
    result.serializer = AS_IS_WHOLE;
    return result;
  }
  result.body = rest(first.value, next, reader);
  result.serializer = AS_IS_STREAM;
  return result;
}
