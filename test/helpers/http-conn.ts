// A small incremental HTTP/1.1 client over one raw socket, for load and fault tests: requests are written as
// exact bytes, responses are read as they arrive (pipelined ones in order), framed by their own headers
// (RFC 9112 §6.3), and checked strictly on the way: status line, header syntax, exactly one framing,
// well-formed chunks. Bodies can be kept, or only counted and passed to a callback (so a long stream costs
// no memory). Every wait is bounded. Anything wrong is an HttpConnError with a kind a report can count.
import net from 'node:net';

export type HttpConnErrorKind =
  /** The bytes are not a well-formed response. */
  | 'malformed'
  /** The connection ended in the middle of a response. */
  | 'truncated'
  /** The connection ended (FIN) before any byte of the response. */
  | 'closed'
  /** The connection was reset before any byte of the response. */
  | 'reset'
  /** The response did not complete in time. */
  | 'timeout'
  /** Could not connect. */
  | 'connect';

export class HttpConnError extends Error {
  readonly kind: HttpConnErrorKind;
  constructor(kind: HttpConnErrorKind, message: string) {
    super(`${kind}: ${message}`);
    this.name = 'HttpConnError';
    this.kind = kind;
  }
}

export interface HttpResponse {
  status: number;
  reason: string;
  /** "1.1" or "1.0". */
  version: string;
  /** Header fields by lower-case name (repeated fields joined with ", "). */
  headers: Record<string, string>;
  /** Statuses of the interim (1xx) responses that came before this one. */
  interim: number[];
  framing: 'none' | 'length' | 'chunked' | 'close';
  /** The body, when kept (else an empty Buffer). */
  body: Buffer;
  bodyBytes: number;
  trailers: Record<string, string>;
  /** The server will close after this response (Connection: close, or HTTP/1.0 without keep-alive). */
  closes: boolean;
}

export interface ExpectOptions {
  /** The request was HEAD: no body, whatever the headers say. */
  head?: boolean;
  /** Keep the body bytes (default true). */
  keepBody?: boolean;
  /** Called with every body chunk as it arrives (with keepBody false, the only place the bytes go). */
  onBody?: (chunk: Buffer) => void;
  /** Resolve at an interim response (1xx) instead of waiting for the final one. */
  interim?: boolean;
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
}

const MAX_HEAD = 64 * 1024;
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-5][0-9][0-9]) ([\t\x20-\x7e\x80-\xff]*)$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

const S_HEAD = 0;
const S_LENGTH = 1;
const S_CHUNK_SIZE = 2;
const S_CHUNK_DATA = 3;
const S_CHUNK_CRLF = 4;
const S_TRAILERS = 5;
const S_CLOSE = 6;

interface Pending {
  options: ExpectOptions;
  resolve(res: HttpResponse): void;
  reject(error: HttpConnError): void;
  timer: NodeJS.Timeout;
  interim: number[];
}

export class HttpConn {
  readonly socket: net.Socket;
  /** The server ended its side (FIN) / reset the connection. */
  fin = false;
  reset = false;
  closed = false;
  /** Responses completed on this connection. */
  responses = 0;
  /** Bytes that arrived after a response that said the connection closes (there must be none). */
  stray = 0;
  private afterClose = false;
  private buf: Buffer = Buffer.alloc(0);
  private queue: Pending[] = [];
  private state = S_HEAD;
  private current: HttpResponse | null = null;
  private remaining = 0;
  private started = false; // bytes of the current response have arrived
  private failed: HttpConnError | null = null;
  private closeWaiters: (() => void)[] = [];

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => {
      this.fin = true;
      this.onEnd();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') this.reset = true;
    });
    socket.on('close', () => {
      this.closed = true;
      this.onEnd();
      const waiters = this.closeWaiters;
      this.closeWaiters = [];
      for (const w of waiters) w();
    });
  }

  static open(port: number, timeoutMs = 5000, host = '127.0.0.1'): Promise<HttpConn> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, host);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new HttpConnError('connect', `no connection within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(new HttpConnError('connect', error.message));
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new HttpConn(socket));
      });
    });
  }

  /** Writes bytes; resolves when they are handed to the kernel (never rejects: a reset shows on the reads). */
  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed || this.socket.writableEnded) return resolve();
      this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data, () => resolve());
    });
  }

  /** The next response on this connection (call once per request, in request order, before or after writing). */
  expect(options: ExpectOptions = {}): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      if (this.failed !== null) return reject(this.failed);
      const timeoutMs = options.timeoutMs ?? 10_000;
      const pending: Pending = {
        options,
        resolve,
        reject,
        interim: [],
        timer: setTimeout(() => this.fail(new HttpConnError('timeout', `no complete response within ${timeoutMs} ms`)), timeoutMs),
      };
      this.queue.push(pending);
      if (this.queue.length === 1) this.parse();
      if (this.closed || this.fin) this.onEnd();
    });
  }

  /** Resolves when the socket has closed (or after timeoutMs): true if it did. */
  waitClose(timeoutMs = 5000): Promise<boolean> {
    if (this.closed) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(this.closed), timeoutMs);
      this.closeWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** Ends our side (FIN). */
  end(): void {
    this.socket.end();
  }

  /** Closes at once, quietly: pending expectations are dropped (their timers cleared). */
  destroy(): void {
    this.drop();
    this.socket.destroy();
  }

  /** Closes with a TCP reset (the server sees ECONNRESET). */
  resetAndDestroy(): void {
    this.drop();
    this.socket.resetAndDestroy();
  }

  private drop(): void {
    for (const p of this.queue) clearTimeout(p.timer);
    this.queue = [];
    this.failed ??= new HttpConnError('closed', 'destroyed by the client');
  }

  private fail(error: HttpConnError): void {
    if (this.failed === null) this.failed = error;
    const queue = this.queue;
    this.queue = [];
    for (const p of queue) {
      clearTimeout(p.timer);
      p.reject(error);
    }
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.afterClose) {
      this.stray += chunk.length;
      return;
    }
    if (this.failed !== null) return;
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    this.parse();
  }

  private onEnd(): void {
    if (this.failed !== null || this.queue.length === 0) return;
    this.parse();
    if (this.queue.length === 0) return;
    if (this.state === S_CLOSE && this.current !== null) {
      this.finish();
      if (this.queue.length === 0) return;
    }
    if (!this.closed && !this.fin) return;
    const partial = this.started || this.buf.length > 0;
    const how = this.reset ? 'reset' : 'FIN';
    if (partial) this.fail(new HttpConnError('truncated', `the connection ended (${how}) in the middle of a response`));
    else this.fail(new HttpConnError(this.reset ? 'reset' : 'closed', `the connection ended (${how}) before the response`));
  }

  private malformed(message: string): void {
    this.fail(new HttpConnError('malformed', message));
  }

  /** Parses what is buffered, as far as there are expectations to fill. */
  private parse(): void {
    while (this.queue.length > 0 && this.failed === null) {
      const pending = this.queue[0] as Pending;
      if (this.state === S_HEAD) {
        if (this.buf.length > 0) this.started = true;
        const end = this.buf.indexOf('\r\n\r\n', 0, 'latin1');
        if (end < 0) {
          if (this.buf.length > MAX_HEAD) this.malformed('a response head over 64 KiB');
          return;
        }
        const head = this.buf.toString('latin1', 0, end);
        this.buf = this.buf.subarray(end + 4);
        if (!this.startResponse(head, pending)) return;
        continue;
      }
      if (this.state === S_LENGTH || this.state === S_CHUNK_DATA || this.state === S_CLOSE) {
        if (this.buf.length === 0) return;
        const take = this.state === S_CLOSE ? this.buf.length : Math.min(this.remaining, this.buf.length);
        this.body(this.buf.subarray(0, take), pending);
        this.buf = this.buf.subarray(take);
        if (this.state === S_CLOSE) return;
        this.remaining -= take;
        if (this.remaining > 0) return;
        if (this.state === S_LENGTH) this.finish();
        else this.state = S_CHUNK_CRLF;
        continue;
      }
      if (this.state === S_CHUNK_CRLF) {
        if (this.buf.length < 2) return;
        if (this.buf[0] !== 0x0d || this.buf[1] !== 0x0a) return this.malformed('chunk data not followed by CRLF');
        this.buf = this.buf.subarray(2);
        this.state = S_CHUNK_SIZE;
        continue;
      }
      // S_CHUNK_SIZE and S_TRAILERS: one line at a time.
      const eol = this.buf.indexOf('\r\n', 0, 'latin1');
      if (eol < 0) {
        if (this.buf.length > 4096) this.malformed('a chunk-size or trailer line over 4 KiB');
        return;
      }
      const line = this.buf.toString('latin1', 0, eol);
      this.buf = this.buf.subarray(eol + 2);
      if (this.state === S_CHUNK_SIZE) {
        const size = line.split(';')[0] as string;
        if (!/^[0-9a-fA-F]{1,8}$/.test(size)) return this.malformed(`bad chunk size line ${JSON.stringify(line)}`);
        const n = parseInt(size, 16);
        if (n === 0) this.state = S_TRAILERS;
        else {
          this.remaining = n;
          this.state = S_CHUNK_DATA;
        }
        continue;
      }
      if (line === '') {
        this.finish();
        continue;
      }
      const colon = line.indexOf(':');
      const name = line.slice(0, colon);
      if (colon <= 0 || !TOKEN.test(name)) return this.malformed(`bad trailer line ${JSON.stringify(line)}`);
      (this.current as HttpResponse).trailers[name.toLowerCase()] = line.slice(colon + 1).trim();
    }
  }

  /** Reads a head; returns false when parsing must stop (malformed, or resolved at an interim response). */
  private startResponse(head: string, pending: Pending): boolean {
    const lines = head.split('\r\n');
    const m = STATUS_LINE.exec(lines[0] as string);
    if (m === null) {
      this.malformed(`bad status line ${JSON.stringify((lines[0] as string).slice(0, 100))}`);
      return false;
    }
    const headers: Record<string, string> = {};
    let lengths = 0;
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon);
      const value = line.slice(colon + 1).trim();
      if (colon <= 0 || !TOKEN.test(name) || !FIELD_VALUE.test(value)) {
        this.malformed(`bad header line ${JSON.stringify(line.slice(0, 100))}`);
        return false;
      }
      const lower = name.toLowerCase();
      if (lower === 'content-length') lengths++;
      headers[lower] = headers[lower] === undefined ? value : `${headers[lower]}, ${value}`;
    }
    const status = Number(m[2]);
    const version = `1.${m[1]}`;
    if (status < 200) {
      if (headers['content-length'] !== undefined || headers['transfer-encoding'] !== undefined) {
        this.malformed(`a ${status} with framing headers`);
        return false;
      }
      pending.interim.push(status);
      this.started = this.buf.length > 0;
      if (pending.options.interim === true) {
        this.queue.shift();
        clearTimeout(pending.timer);
        pending.resolve(this.response(status, m[3] as string, version, headers, pending, 'none'));
        return false;
      }
      return true;
    }
    const te = headers['transfer-encoding'];
    const cl = headers['content-length'];
    if (te !== undefined && cl !== undefined) {
      this.malformed('both Transfer-Encoding and Content-Length');
      return false;
    }
    if (lengths > 1 || (cl !== undefined && !/^[0-9]{1,15}$/.test(cl))) {
      this.malformed(`bad Content-Length ${JSON.stringify(cl)}`);
      return false;
    }
    if (te !== undefined && te.toLowerCase() !== 'chunked') {
      this.malformed(`unexpected Transfer-Encoding ${JSON.stringify(te)}`);
      return false;
    }
    const noBody = pending.options.head === true || status === 204 || status === 304;
    if ((status === 204 || status === 304) && (cl !== undefined || te !== undefined)) {
      this.malformed(`a ${status} with framing headers`);
      return false;
    }
    let framing: HttpResponse['framing'];
    if (noBody) framing = 'none';
    else if (te !== undefined) framing = 'chunked';
    else if (cl !== undefined) framing = 'length';
    else framing = 'close';
    const res = this.response(status, m[3] as string, version, headers, pending, framing);
    if (framing === 'close' && !res.closes) {
      this.malformed('a close-delimited body on a connection that is kept');
      return false;
    }
    this.current = res;
    if (framing === 'none') this.finish();
    else if (framing === 'chunked') this.state = S_CHUNK_SIZE;
    else if (framing === 'length') {
      this.remaining = Number(cl);
      if (this.remaining === 0) this.finish();
      else this.state = S_LENGTH;
    } else this.state = S_CLOSE;
    return true;
  }

  private response(status: number, reason: string, version: string, headers: Record<string, string>, pending: Pending, framing: HttpResponse['framing']): HttpResponse {
    const connection = (headers.connection ?? '').toLowerCase();
    const closes = connection.includes('close') || (version === '1.0' && !connection.includes('keep-alive'));
    return { status, reason, version, headers, interim: pending.interim, framing, body: Buffer.alloc(0), bodyBytes: 0, trailers: {}, closes };
  }

  private chunks: Buffer[] = [];

  private body(chunk: Buffer, pending: Pending): void {
    const res = this.current as HttpResponse;
    res.bodyBytes += chunk.length;
    pending.options.onBody?.(chunk);
    if (pending.options.keepBody !== false) this.chunks.push(chunk);
  }

  private finish(): void {
    const res = this.current as HttpResponse;
    const pending = this.queue.shift() as Pending;
    clearTimeout(pending.timer);
    if (this.chunks.length > 0) res.body = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
    this.chunks = [];
    this.current = null;
    this.state = S_HEAD;
    this.started = this.buf.length > 0;
    this.responses++;
    if (res.closes) {
      this.afterClose = true;
      this.stray += this.buf.length;
      this.buf = Buffer.alloc(0);
    }
    pending.resolve(res);
  }
}
