// A small incremental HTTP/1.1 client over one raw socket, for load and fault tests: requests are written as
// exact bytes, responses are read as they arrive (pipelined ones in order) by the strict response parser
// (./response-parser.ts). Bodies can be kept, or only counted and passed to a callback (so a long stream costs
// no memory). Every wait is bounded. Anything wrong is an HttpConnError with a kind a report can count.
import net from 'node:net';
import { ResponseParseError, ResponseParser, type Response } from './response-parser.js';
import { dial } from './transport.js';

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

export interface HttpResponse extends Response {
  /** Statuses of the interim (1xx) responses that came before this one. */
  interim: number[];
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
  private readonly parser = new ResponseParser();
  private queue: Pending[] = [];
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
      const socket = dial(port, host);
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
    this.parser.push(chunk);
    this.parse();
  }

  private onEnd(): void {
    if (this.failed !== null || this.queue.length === 0) return;
    this.parser.end();
    this.parse();
    if (this.queue.length === 0 || this.failed !== null) return;
    const how = this.reset ? 'reset' : 'FIN';
    if (this.parser.partial) this.fail(new HttpConnError('truncated', `the connection ended (${how}) in the middle of a response`));
    else this.fail(new HttpConnError(this.reset ? 'reset' : 'closed', `the connection ended (${how}) before the response`));
  }

  /** Parses what is buffered, as far as there are expectations to fill (a response is read with the options
   * of the expectation it fills, so bytes wait in the parser until there is one). */
  private parse(): void {
    while (this.queue.length > 0 && this.failed === null && !this.afterClose) {
      const pending = this.queue[0] as Pending;
      let res: Response | null;
      try {
        res = this.parser.read(pending.options);
      } catch (error) {
        if (!(error instanceof ResponseParseError)) throw error;
        this.fail(new HttpConnError('malformed', error.message));
        return;
      }
      if (res === null) return;
      if (res.status < 200) {
        pending.interim.push(res.status);
        if (pending.options.interim !== true) continue;
      }
      this.queue.shift();
      clearTimeout(pending.timer);
      if (res.status >= 200) this.responses++;
      if (res.closes) {
        this.afterClose = true;
        this.stray += this.parser.buffered;
      }
      pending.resolve({ ...res, interim: pending.interim });
    }
  }
}
