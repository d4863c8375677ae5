// Reading the bytes inject() collected back as responses, the way a client would: status line, header fields,
// and a body delimited by the framing (none for HEAD, 1xx, 204, 304; Content-Length; chunked; the close). A 101
// is the last HTTP on the connection (what follows is the new protocol); a body cut short by the connection's
// end is kept, marked incomplete, as a client sees headers and then a body that fails.
// Pure. The methods of the requests (for HEAD) come from h1wire's own parser run over the request bytes.
import type { ParserLimits } from './parser.js';
import { RequestParser } from './parser.js';

export interface InjectResponse {
  status: number;
  /** The reason phrase as sent. */
  reason: string;
  /** Lower-case names; repeated fields joined with ", " (Set-Cookie: see `cookies`). */
  headers: Record<string, string>;
  /** Names and values as sent, alternating. */
  rawHeaders: string[];
  /** Every Set-Cookie value, each apart. */
  cookies: string[];
  /** The body, unframed (a chunked body decoded). */
  body: Buffer;
  /** Trailer fields of a chunked body (name, value, …). */
  trailers: string[];
  /** The exact bytes of this response on the wire, head and framing included. */
  raw: Buffer;
  /** Interim (1xx) responses sent before this one, exact bytes. */
  interim: Buffer[];
  /** The body arrived whole by its framing; false: the connection ended first (a stream that failed midway). */
  complete: boolean;
}

const CRLF = Buffer.from('\r\n');
const END_OF_HEAD = Buffer.from('\r\n\r\n');

/** The request methods in `bytes`, in order, as h1wire's parser reads them (up to a parse error, if any). */
export function methodsOf(bytes: Buffer, limits: ParserLimits): string[] {
  const methods: string[] = [];
  const parser = new RequestParser({ ...limits, maxBodySize: Number.MAX_SAFE_INTEGER });
  parser.bind({ onHead: (head) => methods.push(head.method), onBody() {}, onMessageEnd() {} });
  try {
    parser.execute(bytes, 0, Number.MAX_SAFE_INTEGER);
  } finally {
    parser.unbind();
    parser.free();
  }
  return methods;
}

function fields(lines: string[]): string[] {
  const raw: string[] = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    raw.push(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return raw;
}

/** Decodes a chunked body from `at`; returns its end, or -1 when incomplete. */
function dechunk(bytes: Buffer, at: number, body: Buffer[], trailers: string[]): number {
  for (;;) {
    const eol = bytes.indexOf(CRLF, at);
    if (eol < 0) return -1;
    const size = parseInt(bytes.toString('latin1', at, eol).split(';')[0] as string, 16);
    at = eol + 2;
    if (size === 0) {
      for (;;) {
        const end = bytes.indexOf(CRLF, at);
        if (end < 0) return -1;
        if (end === at) return end + 2;
        trailers.push(...fields([bytes.toString('latin1', at, end)]));
        at = end + 2;
      }
    }
    if (at + size + 2 > bytes.length) return -1;
    body.push(bytes.subarray(at, at + size));
    at += size + 2;
  }
}

/** Every complete response in `bytes`; `closed`: the server closed after them (a close-delimited body ends). */
export function parseResponses(bytes: Buffer, methods: readonly string[], closed: boolean): InjectResponse[] {
  const responses: InjectResponse[] = [];
  let interim: Buffer[] = [];
  let at = 0;
  while (at < bytes.length) {
    const headEnd = bytes.indexOf(END_OF_HEAD, at);
    if (headEnd < 0) break;
    const lines = bytes.toString('latin1', at, headEnd).split('\r\n');
    const match = /^HTTP\/1\.[01] (\d{3}) ?(.*)$/.exec(lines[0] as string);
    if (match === null) break;
    const status = Number(match[1]);
    let end = headEnd + 4;
    if (status < 200 && status !== 101) {
      interim.push(bytes.subarray(at, end));
      at = end;
      continue;
    }
    const rawHeaders = fields(lines.slice(1));
    const headers: Record<string, string> = {};
    const cookies: string[] = [];
    for (let i = 0; i < rawHeaders.length; i += 2) {
      const name = (rawHeaders[i] as string).toLowerCase();
      const value = rawHeaders[i + 1] as string;
      if (name === 'set-cookie') cookies.push(value);
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    const parts: Buffer[] = [];
    const trailers: string[] = [];
    const method = methods[responses.length];
    let complete = true;
    if (method === 'HEAD' || status === 101 || status === 204 || status === 304) {
      // no body
    } else if (/(^|,)\s*chunked\s*$/i.test(headers['transfer-encoding'] ?? '')) {
      end = dechunk(bytes, end, parts, trailers);
      if (end < 0) {
        if (!closed) break;
        complete = false;
        end = bytes.length;
      }
    } else if (headers['content-length'] !== undefined) {
      let length = Number(headers['content-length']);
      if (end + length > bytes.length) {
        if (!closed) break;
        complete = false;
        length = bytes.length - end;
      }
      parts.push(bytes.subarray(end, end + length));
      end += length;
    } else {
      if (!closed) break;
      parts.push(bytes.subarray(end));
      end = bytes.length;
    }
    const reason = match[2] as string;
    responses.push({ status, reason, headers, rawHeaders, cookies, body: Buffer.concat(parts), trailers, raw: bytes.subarray(at, end), interim, complete });
    if (status === 101 || !complete) break;
    interim = [];
    at = end;
  }
  return responses;
}
