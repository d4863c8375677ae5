// Errors with a stable `code`, the HTTP status they answer with, and whether the connection must close.
// Protocol errors (the request could not be framed) always close; handler errors keep the connection.
import type { CloseReason } from './stages.js';
import { statusText } from './status.js';

export interface HttpErrorOptions {
  code?: string;
  /** The connection cannot be trusted for another request after this error. */
  closesConnection?: boolean;
  /** Put `message` in the response body. Defaults to true below 500 and false from 500 on. */
  expose?: boolean;
  /** Extra response headers (e.g. `Allow` on a 405). */
  headers?: Record<string, string>;
  cause?: unknown;
}

export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly closesConnection: boolean;
  readonly expose: boolean;
  readonly headers: Record<string, string> | undefined;

  constructor(status: number, message?: string, options: HttpErrorOptions = {}) {
    super(message ?? statusText(status), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.status = status;
    this.code = options.code ?? `H1W_HTTP_${status}`;
    this.closesConnection = options.closesConnection ?? false;
    this.expose = options.expose ?? status < 500;
    this.headers = options.headers;
  }
}

/** The request could not be parsed or breaks a MUST of RFC 9112; answered 400, then the connection closes. */
export class BadRequestError extends HttpError {
  constructor(message: string, code = 'H1W_BAD_REQUEST') {
    super(400, message, { code, closesConnection: true });
  }
}

/** The request is well framed, but its target and Host make no URL a web Request can hold (fetchHandler's
 * request.url: a port past 65535, a host such as `a.1`); answered 400, the connection kept. */
export class BadUrlError extends HttpError {
  constructor(message: string, cause?: unknown) {
    super(400, message, { code: 'H1W_BAD_URL', cause });
  }
}

export class RequestTimeoutError extends HttpError {
  constructor(message: string, code: 'H1W_HEADERS_TIMEOUT' | 'H1W_REQUEST_TIMEOUT') {
    super(408, message, { code, closesConnection: true });
  }
}

export class ContentTooLargeError extends HttpError {
  constructor(message: string, code = 'H1W_BODY_TOO_LARGE') {
    super(413, message, { code, closesConnection: true });
  }
}

export class UriTooLongError extends HttpError {
  constructor(message: string) {
    super(414, message, { code: 'H1W_URI_TOO_LONG', closesConnection: true });
  }
}

export class HeadersTooLargeError extends HttpError {
  constructor(message: string) {
    super(431, message, { code: 'H1W_HEADERS_TOO_LARGE', closesConnection: true });
  }
}

export class NotImplementedError extends HttpError {
  constructor(message: string, code = 'H1W_NOT_IMPLEMENTED') {
    super(501, message, { code, closesConnection: true, expose: true });
  }
}

export class VersionNotSupportedError extends HttpError {
  constructor(message: string) {
    super(505, message, { code: 'H1W_VERSION_NOT_SUPPORTED', closesConnection: true, expose: true });
  }
}

export class ExpectationFailedError extends HttpError {
  constructor(message: string, closesConnection: boolean) {
    super(417, message, { code: 'H1W_EXPECTATION_FAILED', closesConnection });
  }
}

export class NotAcceptableError extends HttpError {
  constructor(message: string) {
    super(406, message, { code: 'H1W_NOT_ACCEPTABLE' });
  }
}

export class ServiceUnavailableError extends HttpError {
  constructor(message: string) {
    super(503, message, { code: 'H1W_SERVICE_UNAVAILABLE', closesConnection: true, expose: true });
  }
}

/** Anything a handler threw that is not an HttpError; the original is the `cause`, never sent. */
export class HandlerError extends HttpError {
  constructor(cause: unknown) {
    super(500, undefined, { code: 'H1W_HANDLER_ERROR', cause });
  }
}

/** The serializer could not turn the body into bytes (a cycle, a BigInt, a value its schema rejects). */
export class SerializeError extends HttpError {
  constructor(serializer: string, cause: unknown) {
    super(500, `serializer "${serializer}" failed`, { code: 'H1W_SERIALIZE_FAILED', cause });
  }
}

/** User code produced a response that cannot be framed (a bad header, a bad status, a wrong length). */
export class InvalidResponseError extends HttpError {
  constructor(message: string, code = 'H1W_INVALID_RESPONSE') {
    super(500, message, { code, expose: false });
  }
}

/** A streamed body failed, or did not match its declared length, after its head was sent: the connection is
 * destroyed so the client cannot mistake the truncated body for a whole one. Never answered. */
export class StreamAbortedError extends Error {
  readonly code: string;
  constructor(message: string, code: 'H1W_STREAM_FAILED' | 'H1W_LENGTH_MISMATCH', cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'StreamAbortedError';
    this.code = code;
  }
}

/** Why `req.signal` aborted (its `reason`) and why a body read then fails: the connection closed, or began to
 * close, before the response was done (`reason` says who closed it: `client-closed`, `server-closing`, …). Its
 * name is `AbortError`, as fetch names an abort (the default reason of `AbortController.abort()`) and as Node's
 * own abort errors are named, so an app's `error.name === 'AbortError'` check, or a `fetch(url, { signal })`
 * passed the request's signal, sees an abort rather than a failure. Never answered. */
export class ConnectionClosedError extends Error {
  readonly code = 'H1W_CONNECTION_CLOSED';
  readonly reason: CloseReason;
  constructor(reason: CloseReason, closing: boolean) {
    super(`connection ${closing ? 'closing' : 'closed'} (${reason}) before the response was done`);
    this.name = 'AbortError';
    this.reason = reason;
  }
}

/** What a reader of a request body gets when the server dropped the rest of it: the response was sent before
 * the handler read the body whole, so nothing more of it is kept (it is skipped, or the connection closes).
 * A reader that kept reading after answering would otherwise take a cut body for a whole one. */
export class BodyDiscardedError extends Error {
  readonly code = 'H1W_BODY_DISCARDED';
  constructor() {
    super('the response was sent before the request body was read; the rest of the body is discarded');
    this.name = 'BodyDiscardedError';
  }
}

/** Wraps whatever was thrown into the HttpError that answers it. */
export function toHttpError(err: unknown): HttpError {
  return err instanceof HttpError ? err : new HandlerError(err);
}

/** The JSON error body: `{"error":{"status":…,"code":…,"message":…}}`; 5xx messages stay generic. */
export function errorBody(err: HttpError): string {
  const message = err.expose ? err.message : statusText(err.status);
  return JSON.stringify({ error: { status: err.status, code: err.code, message } });
}
