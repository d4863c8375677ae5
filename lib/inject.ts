// inject(): a request through a handler or a Server in-process, with no socket: the same accept, parse, handle,
// serialize, frame and write stages as a real connection (a Connection from the server's pool on a MemorySocket),
// and the response read back from the exact bytes written. Limits apply as on a socket.
import type { Socket } from 'node:net';
import type { ServerOptions } from './config.js';
import type { Connection } from './connection.js';
import { ST_BODY, ST_IDLE, ST_READING } from './connection-states.js';
import { HttpError } from './errors.js';
import type { Handler } from './handle.js';
import { methodsOf, parseResponses, type InjectResponse } from './inject-parse.js';
import { latin1Bytes, requestBytes, type InjectRequest } from './inject-request.js';
import { MemorySocket } from './inject-socket.js';
import { parseProxyHeader } from './proxy-protocol.js';
import { Server } from './server.js';

export type { InjectResponse } from './inject-parse.js';
export { InjectInputError, type InjectRequest } from './inject-request.js';

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
  /** The handler accepted an upgrade: the socket went to its callback, and the response is the 101 it wrote. */
  upgraded: boolean;
}

export class InjectError extends HttpError {
  constructor(message: string, code: 'H1W_INJECT_TIMEOUT' | 'H1W_INJECT_NO_RESPONSE' | 'H1W_INJECT_SERVER_CLOSED') {
    super(500, message, { code });
  }
}

function pieces(input: InjectInput): Buffer[] {
  if (typeof input === 'string') return [latin1Bytes(input)];
  if (input instanceof Uint8Array) return [Buffer.from(input)];
  if (Array.isArray(input)) return (input as (string | Uint8Array)[]).map((p) => (typeof p === 'string' ? latin1Bytes(p) : Buffer.from(p)));
  return [requestBytes(input as InjectRequest)];
}

/** The bytes the HTTP parser reads: with proxyProtocol, those after the PROXY header (none without a valid one). */
function httpBytes(bytes: Buffer, proxied: boolean): Buffer {
  if (!proxied) return bytes;
  try {
    const header = parseProxyHeader(bytes);
    return header === null ? Buffer.alloc(0) : bytes.subarray(header.length);
  } catch {
    return Buffer.alloc(0);
  }
}

function turn(slow: boolean): Promise<void> {
  return new Promise((resolve) => (slow ? setTimeout(resolve, 1) : setImmediate(resolve)));
}

/** After an accepted upgrade, the new owner answers (its 101, and whatever it says to `head`) within a few turns
 * of the loop: wait until a turn passes with nothing new written. */
async function settle(socket: MemorySocket, deadline: number): Promise<void> {
  let seen = -1;
  while (seen !== socket.written.length && !socket.closed && Date.now() <= deadline) {
    seen = socket.written.length;
    await turn(true);
  }
}

/**
 * Runs `input` through `target` (a handler, or a Server, listening or not) and reads back what a client would
 * have read. Resolves once every request is answered and the connection is idle, or the server closed it, or an
 * upgrade was accepted (then the client leaves once the new owner stops writing); a request left incomplete is
 * followed by the client's FIN, as if the client gave up.
 */
export async function inject(target: Handler | Server, input: InjectInput, options: InjectOptions = {}): Promise<InjectResult> {
  const own = !(target instanceof Server);
  // A closed server's listener refuses a socket's connect; its pool must not take a connection either.
  if (!own && !(target as Server).accepting) {
    throw new InjectError('the server is closed (close() or closeListener() was called): it takes no new connection', 'H1W_INJECT_SERVER_CLOSED');
  }
  const data = pieces(input); // before a server is made: bad input throws with nothing to clean up
  const server = own ? new Server(target as Handler, options.server) : (target as Server);
  const socket = new MemorySocket(options.remoteAddress, 0, server.secure);
  const deadline = Date.now() + (options.timeout ?? 10_000);
  let closed = true; // unless the connection is found idle, kept alive
  let handedOver = false;
  try {
    // Its Connection, once the pool has it (after a PROXY header, with proxyProtocol); null: refused at once.
    const pool: { conn?: Connection | null } = {};
    server.acceptSocket(socket as unknown as Socket, (conn) => {
      pool.conn = conn;
    });
    for (const piece of data) {
      socket.push(piece);
      await turn(false);
    }
    for (let round = 0; !socket.closed; round++) {
      await turn(round > 100);
      const conn = pool.conn;
      if (socket.closed || conn === null) break;
      if (Date.now() > deadline) {
        socket.destroy();
        throw new InjectError('inject timed out before every response was sent', 'H1W_INJECT_TIMEOUT');
      }
      if (server.upgraded.has(socket as unknown as Socket)) {
        // The connection object went back to the pool: its state is no longer this socket's.
        handedOver = true;
        await settle(socket, deadline);
        closed = socket.writableEnded || socket.closed;
        socket.destroy(); // the client leaves; the new owner sees its socket close
        break;
      }
      if (!socket.drained || socket.destroyed) continue;
      if (conn === undefined) {
        socket.endInput(); // the pre-protocol step waits for more (a PROXY header cut short): the client has none
        continue;
      }
      const state = conn.state;
      if (state === ST_IDLE) {
        closed = false;
        socket.destroy(); // the client leaves, as a client does once it has its answers
        break;
      }
      if (state === ST_READING || state === ST_BODY) socket.endInput(); // an incomplete request: the client gives up
    }
    // The connection's life ends before inject does: its close is counted and observed (onClose, stats) by now.
    if (!socket.closed) await new Promise((resolve) => socket.once('close', resolve));
  } finally {
    if (own) await server.close({ timeout: 0 });
  }
  const wire = Buffer.concat(socket.written);
  const responses = parseResponses(wire, methodsOf(httpBytes(Buffer.concat(data), server.config.proxyProtocol), server.config.parserLimits), closed);
  const first = responses[0];
  if (first === undefined) throw new InjectError(`no response (${wire.length} bytes written)`, 'H1W_INJECT_NO_RESPONSE');
  // Only a new owner writes a 101 (h1wire never does), so one also tells of an owner that closed at once.
  const upgraded = handedOver || responses[responses.length - 1]?.status === 101;
  return { ...first, responses, wire, closed, reset: socket.reset, upgraded };
}
