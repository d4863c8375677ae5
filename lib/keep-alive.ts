// Keep or close: every decision about a connection's future after a response, as pure functions of what
// is known (h11's keep-alive rules, one place). The connection applies them; nothing else decides.
import type { CloseReason } from './stages.js';

/** What a request's head says about the connection, as soon as it is parsed. */
export interface HeadFacts {
  /** The request allows the connection to be kept (HTTP/1.1 without `Connection: close`, or 1.0 keep-alive). */
  keepAlive: boolean;
  /** Requests started on the connection, this one included, and the limit (0 = none). */
  requests: number;
  maxRequests: number;
  /** The server is shutting down. */
  shuttingDown: boolean;
}

/** Whether this request is the connection's last, decided at its head (null: the connection may go on). */
export function closeAtHead(f: HeadFacts): CloseReason | null {
  if (!f.keepAlive) return 'client-asked';
  if (f.maxRequests > 0 && f.requests >= f.maxRequests) return 'max-requests';
  if (f.shuttingDown) return 'server-closing';
  return null;
}

/** What is known when a response is framed, just before its first byte. */
export interface ResponseFacts {
  /** The request allows the connection to be kept. */
  keepAlive: boolean;
  /** The response's own headers ask to close (`Connection: close` from the handler). */
  responseCloses: boolean;
  /** The body is delimited by the close (no length, not chunked: an HTTP/1.0 stream). */
  closeDelimited: boolean;
  isHead: boolean;
  shuttingDown: boolean;
  /** Request body bytes still to come that nobody will read (0 if read or none; Infinity if unknown). */
  unreadBody: number;
  /** How much unread body may be read and dropped to keep the connection. */
  maxDiscard: number;
}

/** Why the connection closes after this response, or null to keep it. The first reason that holds wins. */
export function closeAfterResponse(f: ResponseFacts): CloseReason | null {
  if (!f.keepAlive) return 'client-asked';
  if (f.responseCloses) return 'response-close';
  if (f.closeDelimited && !f.isHead) return 'close-delimited';
  if (f.shuttingDown) return 'server-closing';
  if (f.unreadBody > f.maxDiscard) return 'unread-body';
  return null;
}

/** What is known of a request body when its response is framed. */
export interface UnreadFacts {
  requestComplete: boolean;
  hasBody: boolean;
  /** The handler began reading it. */
  reading: boolean;
  /** Its reader cancelled it: nobody reads the rest. */
  cancelled: boolean;
  /** The response is a whole body: done once written, and then the rest of the request body is dropped. */
  wholeResponse: boolean;
  /** Content-Length, or -1 when chunked. */
  contentLength: number;
  received: number;
}

/**
 * Request body bytes nobody will read once this response is sent (0 if none, Infinity if unknown): the rest of
 * a body the handler never read, cancelled, or read in part and answered with a whole body. Only a streamed
 * response may still be reading it (an echo): its rest counts as read, and is dropped if it is not (after).
 */
export function unreadAtFrame(f: UnreadFacts): number {
  if (f.requestComplete || !f.hasBody) return 0;
  if (f.reading && !f.cancelled && !f.wholeResponse) return 0;
  return remainingBody(f.contentLength, f.received);
}

/** Request body bytes still to come: Content-Length minus what arrived, or Infinity when chunked. */
export function remainingBody(contentLength: number, received: number): number {
  return contentLength >= 0 ? contentLength - received : Infinity;
}

/** May a response go out before its request has been read whole? */
export const RELEASE_NOW = 0; // yes (the request is complete, or its body is clearly being streamed)
export const RELEASE_WAIT = 1; // not yet: a malformed rest must still be able to replace it with a 4xx
export const RELEASE_AND_CLOSE = 2; // yes, and close after it: the client waits for a 100 Continue we never sent
export type Release = typeof RELEASE_NOW | typeof RELEASE_WAIT | typeof RELEASE_AND_CLOSE;

export interface ReleaseFacts {
  requestComplete: boolean;
  hasBody: boolean;
  /** The client sent `Expect: 100-continue` and we have not answered it. */
  continueWanted: boolean;
  received: number;
  highWaterMark: number;
}

/**
 * A response goes out once its request has been read whole, so that no 2xx ever precedes a request that
 * turns out malformed (the error replaces it). Exceptions: a client waiting for a `100 Continue` we never
 * sent gets the answer now (and the connection closes: its body may or may not follow), and a body past
 * the high-water mark is clearly being streamed, so its response may start.
 */
export function release(f: ReleaseFacts): Release {
  if (f.requestComplete || !f.hasBody) return RELEASE_NOW;
  if (f.continueWanted) return RELEASE_AND_CLOSE;
  return f.received >= f.highWaterMark ? RELEASE_NOW : RELEASE_WAIT;
}
