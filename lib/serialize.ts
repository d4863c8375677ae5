// The serialize stage: a handler's value → status, checked headers, and a body as bytes or as a stream.
// Every failure here (a bad status, a bad header, a serializer that throws) happens before any byte of the
// response is written, so it can still become a clean 500.
import { Buffer } from 'node:buffer';
import { isStreamBody, toBodySource, type BodySource } from './body-source.js';
import { errorBody, HttpError, InvalidResponseError, NotAcceptableError, SerializeError } from './errors.js';
import { BODY_STREAM, BODY_WHOLE, EMPTY_HEADERS, type BodyKind, headerBlock, responseWarning, type HeaderBlock } from './frame.js';
import { isResult, type Result, type TrailerInput } from './result.js';
import { html, Html } from './serializers/html.js';
import { negotiate } from './serializers/negotiate.js';
import type { Chunk, Serializer } from './serializers/serializer.js';
import { isValidStatus, statusHasNoBody } from './status.js';
import { warnOnce } from './warnings.js';

/** A response ready to be framed. */
export interface Serialized {
  status: number;
  headers: HeaderBlock;
  /** Content-Type to send unless the headers set one; null for none. */
  contentType: string | null;
  kind: BodyKind;
  /** The whole body (null = empty), and its length in bytes. */
  whole: Chunk | null;
  byteLength: number;
  source: BodySource | null;
  /** A streamed body's promised length, or -1. */
  declaredLength: number;
  trailers: TrailerInput | undefined;
  /** Which serializer made the body ("" when none ran). */
  serializer: string;
  /** A reason phrase other than the standard one, or "". */
  reason: string;
}

export interface SerializeContext {
  /** The server's serializers; the first is the default. */
  serializers: readonly Serializer[];
  /** Answer 406 when Accept allows none of them (else the default is used). */
  strictAccept: boolean;
}

const TEXT_TYPE = 'text/plain; charset=utf-8';
const BYTES_TYPE = 'application/octet-stream';
const JSON_TYPE = 'application/json';

/** A response that can be sent but breaks a MUST (a 405 without Allow): a process warning, once. */
function warnAbout(status: number, headers: HeaderBlock): void {
  const warning = responseWarning(status, headers);
  if (warning !== null) warnOnce(warning);
}

function byteLengthOf(chunk: Chunk): number {
  return typeof chunk === 'string' ? Buffer.byteLength(chunk, 'utf8') : chunk.byteLength;
}

function whole(status: number, headers: HeaderBlock, contentType: string | null, body: Chunk | null, serializer: string): Serialized {
  return {
    status,
    headers,
    contentType,
    kind: BODY_WHOLE,
    whole: body,
    byteLength: body === null ? 0 : byteLengthOf(body),
    source: null,
    declaredLength: -1,
    trailers: undefined,
    serializer,
    reason: '',
  };
}

/** Turns what a handler returned into a Serialized response. Throws an HttpError on anything invalid. */
export function serializeValue(value: unknown, accept: string | undefined, ctx: SerializeContext, isHead = false): Serialized {
  if (!isResult(value)) {
    // A plain value: undefined means "nothing to say" (204); anything else is a 200 body, null included
    // (it is a value the serializer can write: JSON `null`).
    if (value === undefined) return whole(204, EMPTY_HEADERS, null, null, '');
    if (value === null) {
      const chosen = negotiate(accept, ctx.serializers, ctx.strictAccept);
      if (chosen === null) throw new NotAcceptableError(`none of ${ctx.serializers.map((s) => s.contentType).join(', ')} is acceptable`);
      return runSerializer(chosen, null, 200, EMPTY_HEADERS);
    }
    return serializeBody(200, EMPTY_HEADERS, value, undefined, -1, undefined, accept, ctx, isHead);
  }
  const result: Result = value;
  const status = result.status ?? 200;
  if (!isValidStatus(status)) throw new InvalidResponseError(`invalid status ${String(status)}`, 'H1W_INVALID_STATUS');
  // 1xx are interim responses; a handler gives the final one (100 Continue is the server's business).
  if (status < 200) throw new InvalidResponseError(`${status} is an interim status, not a response`, 'H1W_INVALID_STATUS');
  const headers = headerBlock(result.headers);
  warnAbout(status, headers);
  let declared = -1;
  if (result.length !== undefined) {
    if (!Number.isSafeInteger(result.length) || result.length < 0) {
      throw new InvalidResponseError(`invalid length ${String(result.length)}`, 'H1W_INVALID_LENGTH');
    }
    declared = result.length;
  }
  if (headers.contentLength >= 0) {
    if (declared >= 0 && declared !== headers.contentLength) {
      throw new InvalidResponseError('length and Content-Length disagree', 'H1W_INVALID_LENGTH');
    }
    declared = headers.contentLength;
  }
  const out = serializeBody(status, headers, result.body, result.serializer, declared, result.trailers, accept, ctx, isHead);
  if (result.reason !== undefined) out.reason = checkReason(result.reason);
  return out;
}

// RFC 9112 §4: reason-phrase = 1*( HTAB / SP / VCHAR / obs-text ); obs-text is refused here (the head would
// have to be written as latin1 for it, and no client needs it).
const REASON = /^[\t\x20-\x7e]*$/;

function checkReason(reason: unknown): string {
  if (typeof reason !== 'string' || !REASON.test(reason)) {
    throw new InvalidResponseError('a reason phrase holds a forbidden character (CR, LF, NUL or a control)', 'H1W_INVALID_REASON');
  }
  return reason;
}

function serializeBody(
  status: number,
  headers: HeaderBlock,
  body: unknown,
  explicit: Serializer | undefined,
  declared: number,
  trailers: TrailerInput | undefined,
  accept: string | undefined,
  ctx: SerializeContext,
  isHead: boolean,
): Serialized {
  let out: Serialized;
  if (explicit !== undefined) {
    out = runSerializer(explicit, body, status, headers);
  } else if (body === undefined || body === null) {
    out = whole(status, headers, null, null, '');
  } else if (typeof body === 'string') {
    out = whole(status, headers, TEXT_TYPE, body, 'text');
  } else if (body instanceof Uint8Array) {
    out = whole(status, headers, BYTES_TYPE, body, 'bytes');
  } else if (body instanceof Html) {
    out = runSerializer(html(), body, status, headers);
  } else if (isStreamBody(body)) {
    out = stream(status, headers, BYTES_TYPE, toBodySource(body), 'stream');
  } else {
    const chosen = negotiate(accept, ctx.serializers, ctx.strictAccept);
    if (chosen === null) throw new NotAcceptableError(`none of ${ctx.serializers.map((s) => s.contentType).join(', ')} is acceptable`);
    out = runSerializer(chosen, body, status, headers);
  }
  if (status === 205) {
    // RFC 9110 §15.3.6: a 205 carries no content; it is sent with a length of 0.
    out.source?.cancel(undefined);
    return whole(status, headers, null, null, out.serializer);
  }
  if (out.kind === BODY_WHOLE) {
    if (declared >= 0 && declared !== out.byteLength) {
      // A 304, or an answer to HEAD, may state the length of a representation it does not carry (RFC 9110 §8.6).
      if (out.whole === null && (statusHasNoBody(status) || isHead)) {
        out.declaredLength = declared;
        return out;
      }
      throw new InvalidResponseError(`Content-Length ${declared} but the body has ${out.byteLength} bytes`, 'H1W_INVALID_LENGTH');
    }
  } else {
    out.declaredLength = declared;
    out.trailers = trailers;
  }
  return out;
}

function stream(status: number, headers: HeaderBlock, contentType: string, source: BodySource, serializer: string): Serialized {
  const out = whole(status, headers, contentType, null, serializer);
  out.kind = BODY_STREAM;
  out.source = source;
  return out;
}

/** A whole serializer's output as a body: a string or bytes (another typed array or DataView is seen as its
 * bytes, which slicing by byte offsets needs), else a TypeError (a SerializeError, a 500). The socket would
 * refuse anything else only when the write happens, after the head is queued: no answer, the requests behind
 * it stuck, and the error thrown from wherever the queue is next flushed. */
function checkedWhole(output: unknown): Chunk {
  if (typeof output === 'string' || output instanceof Uint8Array) return output;
  if (ArrayBuffer.isView(output)) return new Uint8Array(output.buffer, output.byteOffset, output.byteLength);
  throw new TypeError(`a serializer returned ${output === null ? 'null' : typeof output}; a body must be a string or a Uint8Array`);
}

function runSerializer(serializer: Serializer, body: unknown, status: number, headers: HeaderBlock): Serialized {
  try {
    if (typeof serializer.serialize === 'function') {
      return whole(status, headers, serializer.contentType, checkedWhole(serializer.serialize(body)), serializer.name);
    }
    return stream(status, headers, serializer.contentType, toBodySource((serializer.stream as (v: unknown) => AsyncIterable<Chunk>)(body)), serializer.name);
  } catch (cause) {
    if (cause instanceof HttpError) throw cause;
    throw new SerializeError(serializer.name, cause);
  }
}

/** A handler's value that will never be sent (its client left, or an error answered first): a stream in it
 * is cancelled, so that a file, a cursor or a generator does not stay open. */
export function discardValue(value: unknown): void {
  const body = isResult(value) ? value.body : value;
  if (isStreamBody(body)) {
    try {
      toBodySource(body).cancel(undefined);
    } catch {
      // a producer that fails to cancel is gone anyway
    }
  }
}

/** The response for an error: its status and headers, and the JSON error body. Cannot fail. */
export function serializeError(error: HttpError): Serialized {
  let headers = EMPTY_HEADERS;
  if (error.headers !== undefined) {
    try {
      headers = headerBlock(error.headers);
    } catch {
      headers = EMPTY_HEADERS; // an HttpError with bad headers still gets its status out
    }
  }
  warnAbout(error.status, headers);
  return whole(error.status, headers, JSON_TYPE, errorBody(error), 'error');
}
