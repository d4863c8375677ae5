// Splits what a server sent into responses by their own framing (RFC 9112 §6.3): no body for HEAD, 1xx,
// 204 and 304; else Content-Length, chunked, or to the end of the connection.

export interface ParsedResponse {
  status: number;
  reason: string;
  version: string;
  /** Header lines as sent, in order. */
  headers: [string, string][];
  body: Buffer;
  /** The bytes of the whole response. */
  raw: Buffer;
  /** Trailer fields of a chunked body. */
  trailers: [string, string][];
}

export interface ParseResult {
  responses: ParsedResponse[];
  /** Bytes after the last whole response (a truncated or malformed one). */
  rest: Buffer;
  /** Why parsing stopped early, if it did. */
  error: string | null;
}

export function header(res: ParsedResponse, name: string): string | undefined {
  const lower = name.toLowerCase();
  return res.headers.find(([n]) => n.toLowerCase() === lower)?.[1];
}

function lineEnd(buf: Buffer, from: number): number {
  const i = buf.indexOf('\r\n', from, 'latin1');
  return i;
}

/**
 * `isHead(i)` says whether the i-th final response answers a HEAD request. `closed` says the connection
 * ended, so a body delimited by the close is complete.
 */
export function parseResponses(bytes: Buffer, isHead: (index: number) => boolean = () => false, closed = true): ParseResult {
  const responses: ParsedResponse[] = [];
  let at = 0;
  let finals = 0;
  while (at < bytes.length) {
    const start = at;
    const end = bytes.indexOf('\r\n\r\n', at, 'latin1');
    if (end < 0) return { responses, rest: bytes.subarray(start), error: 'incomplete head' };
    const head = bytes.subarray(at, end).toString('latin1').split('\r\n');
    const statusLine = head[0] ?? '';
    const m = /^(HTTP\/\d\.\d) (\d{3}) ?(.*)$/.exec(statusLine);
    if (m === null) return { responses, rest: bytes.subarray(start), error: `bad status line ${JSON.stringify(statusLine)}` };
    const status = Number(m[2]);
    const headers: [string, string][] = [];
    for (const line of head.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0) return { responses, rest: bytes.subarray(start), error: `bad header line ${JSON.stringify(line)}` };
      headers.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
    }
    at = end + 4;
    const res: ParsedResponse = { status, reason: m[3] ?? '', version: m[1] ?? '', headers, body: Buffer.alloc(0), raw: Buffer.alloc(0), trailers: [] };
    const interim = status < 200;
    const noBody = interim || status === 204 || status === 304 || isHead(finals);
    const te = header(res, 'transfer-encoding');
    const cl = header(res, 'content-length');
    if (!noBody) {
      if (te !== undefined && /chunked/i.test(te)) {
        const parts: Buffer[] = [];
        for (;;) {
          const le = lineEnd(bytes, at);
          if (le < 0) return { responses, rest: bytes.subarray(start), error: 'incomplete chunk size' };
          const sizeText = bytes.subarray(at, le).toString('latin1').split(';')[0] ?? '';
          if (!/^[0-9a-fA-F]+$/.test(sizeText)) return { responses, rest: bytes.subarray(start), error: `bad chunk size ${JSON.stringify(sizeText)}` };
          const size = parseInt(sizeText, 16);
          at = le + 2;
          if (size === 0) {
            for (;;) {
              const tl = lineEnd(bytes, at);
              if (tl < 0) return { responses, rest: bytes.subarray(start), error: 'incomplete trailers' };
              const line = bytes.subarray(at, tl).toString('latin1');
              at = tl + 2;
              if (line === '') break;
              const colon = line.indexOf(':');
              res.trailers.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
            }
            break;
          }
          if (at + size + 2 > bytes.length) return { responses, rest: bytes.subarray(start), error: 'incomplete chunk' };
          parts.push(bytes.subarray(at, at + size));
          if (bytes.toString('latin1', at + size, at + size + 2) !== '\r\n') return { responses, rest: bytes.subarray(start), error: 'chunk without CRLF' };
          at += size + 2;
        }
        res.body = Buffer.concat(parts);
      } else if (cl !== undefined) {
        const length = Number(cl);
        if (at + length > bytes.length) return { responses, rest: bytes.subarray(start), error: 'incomplete body' };
        res.body = bytes.subarray(at, at + length);
        at += length;
      } else {
        if (!closed) return { responses, rest: bytes.subarray(start), error: 'close-delimited body, connection open' };
        res.body = bytes.subarray(at);
        at = bytes.length;
      }
    }
    res.raw = bytes.subarray(start, at);
    responses.push(res);
    if (!interim) finals++;
  }
  return { responses, rest: Buffer.alloc(0), error: null };
}
