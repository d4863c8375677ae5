// One request over a plain socket, the whole response back: to check, before measuring, that the servers
// answer a scenario with the same status, headers and body bytes.
import net from 'node:net';

export interface WireResponse {
  statusLine: string;
  headers: [string, string][];
  body: Buffer;
  /** The whole response as sent. */
  bytes: number;
}

/** One GET answered with a Content-Length (a chunked answer is refused): status line, headers, body. */
export async function fetchOnce(port: number, path: string, timeoutMs = 10_000): Promise<WireResponse> {
  const { statusLine, headers, body, bytes, chunked } = await fetchAny(port, path, timeoutMs);
  if (chunked) throw new Error(`${path}: no Content-Length in the response`);
  return { statusLine, headers, body, bytes };
}

/** Differences between two responses, ignoring the Date value (it changes every second). */
export function differences(a: WireResponse, b: WireResponse): string[] {
  const out: string[] = [];
  if (a.statusLine !== b.statusLine) out.push(`status line "${a.statusLine}" vs "${b.statusLine}"`);
  const shape = (r: WireResponse): string => r.headers.map(([n, v]) => (n.toLowerCase() === 'date' ? 'Date: *' : `${n}: ${v}`)).join(' | ');
  if (shape(a) !== shape(b)) out.push(`headers [${shape(a)}] vs [${shape(b)}]`);
  if (!a.body.equals(b.body)) out.push(`body ${a.body.length} bytes vs ${b.body.length} bytes${a.body.length === b.body.length ? ' (same length, different bytes)' : ''}`);
  return out;
}

/** A chunked body decoded from `data` (from its first byte); null while incomplete; throws when malformed. */
export function decodeChunked(data: Buffer): { body: Buffer; end: number } | null {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = data.indexOf('\r\n', at);
    if (eol < 0) return null;
    const line = data.subarray(at, eol).toString('latin1');
    const size = Number.parseInt(line.split(';')[0] as string, 16);
    if (!Number.isFinite(size) || !/^[0-9a-fA-F]+/.test(line)) throw new Error(`bad chunk-size line "${line}"`);
    at = eol + 2;
    if (size === 0) {
      // Trailers (none expected), then the final CRLF.
      const end = data.indexOf('\r\n\r\n', at - 2);
      if (end < 0) return null;
      return { body: Buffer.concat(parts), end: end + 4 };
    }
    if (data.length < at + size + 2) return null;
    parts.push(data.subarray(at, at + size));
    if (data[at + size] !== 13 || data[at + size + 1] !== 10) throw new Error('chunk data not followed by CRLF');
    at += size + 2;
  }
}

/** One GET, whatever its framing: the body (decoded when chunked), and the whole response as sent. */
export function fetchAny(port: number, path: string, timeoutMs = 10_000): Promise<WireResponse & { raw: Buffer; chunked: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete response for ${path} within ${timeoutMs} ms`));
    }, timeoutMs);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    socket.on('connect', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`));
    socket.on('error', fail);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      const all = Buffer.concat(chunks, size);
      const end = all.indexOf('\r\n\r\n');
      if (end < 0) return;
      const lines = all.subarray(0, end).toString('latin1').split('\r\n');
      const headers = lines.slice(1).map((l): [string, string] => {
        const colon = l.indexOf(':');
        return [l.slice(0, colon), l.slice(colon + 1).trim()];
      });
      const header = (name: string): string | undefined => headers.find(([n]) => n.toLowerCase() === name)?.[1];
      const done = (body: Buffer, total: number, chunked: boolean): void => {
        clearTimeout(timer);
        socket.destroy();
        resolve({ statusLine: lines[0] as string, headers, body, bytes: total, raw: all.subarray(0, total), chunked });
      };
      if (/^HTTP\/1\.[01] (1[0-9][0-9]|204|304) /.test(lines[0] as string)) {
        done(Buffer.alloc(0), end + 4, false); // no content, whatever the headers say
        return;
      }
      if (header('transfer-encoding')?.toLowerCase() === 'chunked') {
        let decoded: { body: Buffer; end: number } | null;
        try {
          decoded = decodeChunked(all.subarray(end + 4));
        } catch (error) {
          fail(error as Error);
          return;
        }
        if (decoded !== null) done(decoded.body, end + 4 + decoded.end, true);
        return;
      }
      const length = Number(header('content-length') ?? NaN);
      if (!Number.isFinite(length)) {
        fail(new Error(`${path}: neither Content-Length nor chunked`));
        return;
      }
      if (all.length >= end + 4 + length) done(all.subarray(end + 4, end + 4 + length), end + 4 + length, false);
    });
  });
}
