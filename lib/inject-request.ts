// The bytes inject() sends for a request given as an object, and for raw input given as strings. An object is
// written as a client library would write it: checked first (a name, value or method that would break the
// message is refused, as undici and node:http refuse it), a url with characters no request line may hold
// percent-encoded as fetch does, Host and Content-Length added unless given, a body framed as its headers say.
import { chunkHead, lastChunk } from './chunked.js';
import { HttpError } from './errors.js';
import { FIELD_VALUE, TOKEN } from './frame.js';

/** A request as an object; see requestBytes() for exactly what is sent. */
export interface InjectRequest {
  /** Sent as given, case included (default "GET"): the server judges it as on a socket. */
  method?: string;
  /** The request target, e.g. "/items/1?x=2" (default "/"); sent as given, but for characters outside visible
   * ASCII, which are percent-encoded as UTF-8. */
  url?: string;
  /** An object (an array value: one line per value), or [name, value] pairs: an array, a Map, fetch's Headers. */
  headers?: Readonly<Record<string, string | readonly string[]>> | Iterable<readonly [string, string]>;
  /** A string is sent as UTF-8; anything else but bytes is refused (JSON.stringify an object yourself). */
  body?: string | Uint8Array;
}

/** The input could not be sent as HTTP bytes (thrown before anything reaches the server). */
export class InjectInputError extends HttpError {
  constructor(message: string) {
    super(500, message, { code: 'H1W_INJECT_BAD_INPUT' });
  }
}

// What a request-target can never hold raw: controls, space, DEL and anything past ASCII (one code point).
const NOT_IN_TARGET = /[^\x21-\x7e]/gu;
// A transfer coding list whose last coding is chunked (RFC 9112 §6.1: then the body is chunked).
const CHUNKED_LAST = /(?:^|,)[\t ]*chunked[\t ]*$/i;

/** `url` with every character a request line cannot carry percent-encoded as UTF-8 ("/a b" → "/a%20b"). */
export function encodeTarget(url: string): string {
  return url.replace(NOT_IN_TARGET, (char) => {
    try {
      return encodeURIComponent(char);
    } catch {
      throw new InjectInputError(`url ${JSON.stringify(url)} holds a lone surrogate: it has no UTF-8 bytes`);
    }
  });
}

function fieldPairs(given: InjectRequest['headers']): [string, string][] {
  const pairs: [string, string][] = [];
  if (given === undefined) return pairs;
  if (typeof (given as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function') {
    // Pairs, in order (an object's own entries would be none for a Map or a Headers: nothing silently dropped).
    for (const pair of given as Iterable<readonly [string, string]>) pairs.push([pair[0], pair[1]]);
  } else {
    for (const [name, value] of Object.entries(given as Record<string, string | readonly string[]>)) {
      if (typeof value === 'string') pairs.push([name, value]);
      else for (const v of value) pairs.push([name, v]);
    }
  }
  for (const [name, value] of pairs) {
    if (typeof name !== 'string' || !TOKEN.test(name)) throw new InjectInputError(`invalid header name ${JSON.stringify(String(name))}`);
    if (typeof value !== 'string' || !FIELD_VALUE.test(value)) {
      throw new InjectInputError(`header "${name}" must be a string of latin1 characters without CR, LF, NUL or other controls`);
    }
  }
  return pairs;
}

/**
 * The bytes of `input`: `METHOD url HTTP/1.1`, the headers in the order given, `Host: localhost` first unless a
 * Host is given, and the body. With a body and neither Content-Length nor Transfer-Encoding given,
 * `Content-Length` is added (0 for an empty body); with a Transfer-Encoding whose last coding is chunked, the
 * body (none: an empty one) is sent as one chunk and the last chunk; a Content-Length given is sent as given, even when it is not the
 * body's length (the server then reads the bytes as a socket would).
 */
export function requestBytes(input: InjectRequest): Buffer {
  const method = input.method ?? 'GET';
  if (typeof method !== 'string' || !TOKEN.test(method)) throw new InjectInputError(`invalid method ${JSON.stringify(String(method))}`);
  if (input.url !== undefined && typeof input.url !== 'string') throw new InjectInputError(`url must be a string, got ${typeof input.url}`);
  const target = encodeTarget(input.url ?? '/');
  if (target === '') throw new InjectInputError('url is empty: a request line needs a target ("/" at least)');
  const pairs = fieldPairs(input.headers);
  const valueOf = (name: string): string | undefined => pairs.find(([n]) => n.toLowerCase() === name)?.[1];
  let body: Buffer | null = null;
  if (typeof input.body === 'string') body = Buffer.from(input.body, 'utf8');
  else if (input.body instanceof Uint8Array) body = Buffer.from(input.body);
  else if (input.body !== undefined) throw new InjectInputError(`body must be a string or a Uint8Array, got ${typeof input.body}: serialize it first`);
  if (valueOf('host') === undefined) pairs.unshift(['Host', 'localhost']);
  const coding = valueOf('transfer-encoding');
  if (coding !== undefined && CHUNKED_LAST.test(coding)) {
    // Chunked with no body given is an empty body: the last chunk alone (as node:http's req.end() sends).
    const end = Buffer.from(lastChunk(''), 'latin1');
    body = body === null || body.length === 0 ? end : Buffer.concat([Buffer.from(chunkHead(body.length), 'latin1'), body, Buffer.from('\r\n'), end]);
  } else if (body !== null && coding === undefined && valueOf('content-length') === undefined) {
    pairs.push(['Content-Length', String(body.length)]);
  }
  let head = `${method} ${target} HTTP/1.1\r\n`;
  for (const [name, value] of pairs) head += `${name}: ${value}\r\n`;
  const bytes = Buffer.from(`${head}\r\n`, 'latin1');
  return body === null ? bytes : Buffer.concat([bytes, body]);
}

/** Raw input given as a string: one byte per character (latin1), as the corpus and wire tests write requests.
 * A character past U+00FF has no such byte: refused rather than cut to its low byte. */
export function latin1Bytes(text: string): Buffer {
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0xff) {
      throw new InjectInputError(`raw request strings are latin1 (one byte per character); ${JSON.stringify(text[i])} at ${i} is not: pass a Buffer for other bytes`);
    }
  }
  return Buffer.from(text, 'latin1');
}
