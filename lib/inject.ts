// inject(): a request through a handler or a Server in-process, with no socket: the same accept, parse, handle,
// serialize, frame and write stages as a real connection (a Connection from the server's pool on a MemorySocket),
// and the response read back from the exact bytes written. Limits apply as on a socket.
import type { Socket } from 'node:net';
import type { ServerOptions } from './config.js';
import { ST_BODY, ST_IDLE, ST_READING } from './connection-states.js';
import { HttpError } from './errors.js';
import type { Handler } from './handle.js';
import { methodsOf, parseResponses, type InjectResponse } from './inject-parse.js';
import { MemorySocket } from './inject-socket.js';
import { Server } from './server.js';

export type { InjectResponse } from './inject-parse.js';

/** A request as an object; it is written as HTTP/1.1 bytes (Host: localhost and Content-Length added unless given). */
export interface InjectRequest {
  method?: string;
  /** The request target, e.g. "/items/1?x=2" (default "/"). */
  url?: string;
  headers?: Readonly<Record<string, string | readonly string[]>> | readonly (readonly [string, string])[];
  body?: string | Uint8Array;
}

/** Raw bytes (any number of requests, pipelined), raw bytes in pieces (each written on its own, as separate
 * reads), or one request as an object. */
export type InjectInput = string | Uint8Array | readonly (string | Uint8Array)[] | InjectRequest;

export interface InjectOptions {
  /** Server options when `target` is a handler (a Server keeps its own). */
  server?: ServerOptions;
  /** Give up after this long, ms (default 10 s): rejects with code H1W_INJECT_TIMEOUT. */
  timeout?: number;
  /** What req.remoteAddress says (default 127.0.0.1). */
  remoteAddress?: string;
}

/** The first response, plus every response (pipelined requests answer in order) and the connection's fate. */
export interface InjectResult extends InjectResponse {
  responses: InjectResponse[];
  /** Every byte the server wrote on the connection. */
  wire: Buffer;
  /** The server closed the connection (after `Connection: close`, an error, a limit). */
  closed: boolean;
  /** The server reset the connection rather than closing it (a stream that failed midway). */
  reset: boolean;
}

export class InjectError extends HttpError {
  constructor(message: string, code: 'H1W_INJECT_TIMEOUT' | 'H1W_INJECT_NO_RESPONSE') {
    super(500, message, { code });
  }
}

function requestBytes(input: InjectRequest): Buffer {
  const method = input.method ?? 'GET';
  const pairs: [string, string][] = [];
  const given = input.headers ?? {};
  if (Array.isArray(given)) for (const [name, value] of given as readonly (readonly [string, string])[]) pairs.push([name, value]);
  else {
    for (const [name, value] of Object.entries(given as Record<string, string | readonly string[]>)) {
      if (typeof value === 'string') pairs.push([name, value]);
      else for (const v of value) pairs.push([name, v]);
    }
  }
  const has = (name: string): boolean => pairs.some(([n]) => n.toLowerCase() === name);
  const body = input.body === undefined ? null : typeof input.body === 'string' ? Buffer.from(input.body) : Buffer.from(input.body);
  if (!has('host')) pairs.unshift(['Host', 'localhost']);
  if (body !== null && !has('content-length') && !has('transfer-encoding')) pairs.push(['Content-Length', String(body.length)]);
  let head = `${method} ${input.url ?? '/'} HTTP/1.1\r\n`;
  for (const [name, value] of pairs) head += `${name}: ${value}\r\n`;
  const bytes = Buffer.from(`${head}\r\n`, 'latin1');
  return body === null ? bytes : Buffer.concat([bytes, body]);
}

function pieces(input: InjectInput): Buffer[] {
  if (typeof input === 'string') return [Buffer.from(input, 'latin1')];
  if (input instanceof Uint8Array) return [Buffer.from(input)];
  if (Array.isArray(input)) return (input as (string | Uint8Array)[]).map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p)));
  return [requestBytes(input as InjectRequest)];
}

function turn(slow: boolean): Promise<void> {
  return new Promise((resolve) => (slow ? setTimeout(resolve, 1) : setImmediate(resolve)));
}

/**
 * Runs `input` through `target` (a handler, or a Server, listening or not) and reads back what a client would
 * have read. Resolves once every request is answered and the connection is idle, or the server closed it; a
 * request left incomplete is followed by the client's FIN, as if the client gave up.
 */
export async function inject(target: Handler | Server, input: InjectInput, options: InjectOptions = {}): Promise<InjectResult> {
  const own = !(target instanceof Server);
  const server = own ? new Server(target as Handler, options.server) : (target as Server);
  const socket = new MemorySocket(options.remoteAddress);
  const deadline = Date.now() + (options.timeout ?? 10_000);
  const data = pieces(input);
  let closed = true; // unless the connection is found idle, kept alive
  try {
    const conn = server.acceptSocket(socket as unknown as Socket);
    for (const piece of data) {
      socket.push(piece);
      await turn(false);
    }
    for (let round = 0; !socket.closed; round++) {
      await turn(round > 100);
      if (socket.closed || conn === null) break;
      if (Date.now() > deadline) {
        socket.destroy();
        throw new InjectError('inject timed out before every response was sent', 'H1W_INJECT_TIMEOUT');
      }
      if (!socket.drained || socket.destroyed) continue;
      const state = conn.state;
      if (state === ST_IDLE) {
        closed = false;
        socket.destroy(); // the client leaves, as a client does once it has its answers
        break;
      }
      if (state === ST_READING || state === ST_BODY) socket.endInput(); // an incomplete request: the client gives up
    }
  } finally {
    if (own) await server.close({ timeout: 0 });
  }
  const wire = Buffer.concat(socket.written);
  const responses = parseResponses(wire, methodsOf(Buffer.concat(data), server.config.parserLimits), closed);
  const first = responses[0];
  if (first === undefined) throw new InjectError(`no response (${wire.length} bytes written)`, 'H1W_INJECT_NO_RESPONSE');
  return { ...first, responses, wire, closed, reset: socket.reset };
}
