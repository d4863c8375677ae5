// Raw bytes over a real socket: write the exact request bytes (whole, one byte at a time, or split at random
// boundaries), read the exact response bytes until the server closes or goes quiet.
import net from 'node:net';
import { dial } from './transport.js';

export type Split = 'whole' | 'bytes' | 'random';

export interface Step {
  send: string | Buffer;
  /** Wait this long after sending, before the next step. */
  waitMs?: number;
}

export interface WireOptions {
  split?: Split;
  /** Seed for 'random' splits, so a failure can be replayed. */
  seed?: number;
  /** Stop reading after this long without data (after the last send). */
  quietMs?: number;
  /** Stop reading after this long in all. */
  timeoutMs?: number;
}

export interface WireResult {
  bytes: Buffer;
  /** The server ended the connection (FIN or reset) within the window. */
  closed: boolean;
  /** The server reset the connection. */
  reset: boolean;
}

/** A small deterministic PRNG (mulberry32), so random splits can be replayed from their seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Cuts `data` into pieces: whole, single bytes, or at random boundaries. */
export function pieces(data: Buffer, split: Split, random: () => number): Buffer[] {
  if (split === 'whole' || data.length <= 1) return [data];
  if (split === 'bytes') {
    const out: Buffer[] = [];
    for (let i = 0; i < data.length; i++) out.push(data.subarray(i, i + 1));
    return out;
  }
  const out: Buffer[] = [];
  let at = 0;
  while (at < data.length) {
    const size = 1 + Math.floor(random() * Math.min(64, data.length - at));
    out.push(data.subarray(at, at + size));
    at += size;
  }
  return out;
}

function toBuffer(data: string | Buffer): Buffer {
  return typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
}

/** How the server ended a connection, as the client saw it. */
export interface PeerEnd {
  /** The connection ended (FIN, reset or error). */
  closed: boolean;
  /** The server reset it (ECONNRESET, or EPIPE while we wrote). */
  reset: boolean;
  /** The read side saw an orderly FIN. */
  fin: boolean;
}

/**
 * Records in `end` how the socket ends, and calls `finish` then: at once on a FIN, `settleMs` later on an error
 * or close (a reset may come while we still write; what was read so far stands).
 */
export function watchEnd(socket: net.Socket, end: PeerEnd, finish: () => void, settleMs = 20, finSettleMs = 0): void {
  socket.on('end', () => {
    end.closed = true;
    end.fin = true;
    if (finSettleMs === 0) finish();
    else setTimeout(finish, finSettleMs);
  });
  socket.on('error', (error: NodeJS.ErrnoException) => {
    end.closed = true;
    if (error.code === 'ECONNRESET' || error.code === 'EPIPE') end.reset = true;
    setTimeout(finish, settleMs);
  });
  socket.on('close', () => {
    end.closed = true;
    setTimeout(finish, settleMs);
  });
}

export function send(port: number, input: string | Buffer | Step[], options: WireOptions = {}): Promise<WireResult> {
  const steps: Step[] = Array.isArray(input) ? input : [{ send: input }];
  const split = options.split ?? 'whole';
  const random = prng(options.seed ?? 1);
  const quietMs = options.quietMs ?? 300;
  const timeoutMs = options.timeoutMs ?? 10_000;
  return new Promise((resolve) => {
    const socket = dial(port, '127.0.0.1');
    socket.setNoDelay(true);
    const received: Buffer[] = [];
    const end: PeerEnd = { closed: false, reset: false, fin: false };
    let sending = true;
    let quiet: NodeJS.Timeout | null = null;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      if (quiet !== null) clearTimeout(quiet);
      clearTimeout(overall);
      socket.destroy();
      resolve({ bytes: Buffer.concat(received), closed: end.closed, reset: end.reset });
    };
    const overall = setTimeout(finish, timeoutMs);
    const armQuiet = (): void => {
      if (sending) return;
      if (quiet !== null) clearTimeout(quiet);
      quiet = setTimeout(finish, quietMs);
    };
    socket.on('data', (chunk) => {
      received.push(chunk);
      armQuiet();
    });
    watchEnd(socket, end, finish);
    socket.once('connect', async () => {
      let written = 0;
      for (const step of steps) {
        for (const piece of pieces(toBuffer(step.send), split, random)) {
          if (socket.destroyed || end.closed) break;
          // Each piece is its own write (its own send(); with no write pending, Node does not coalesce).
          // Every few pieces we let the event loop turn, so reads and timers are not starved.
          socket.write(piece);
          if (++written % 16 === 0) await new Promise((r) => setImmediate(r));
        }
        if (step.waitMs !== undefined) await new Promise((r) => setTimeout(r, step.waitMs));
      }
      sending = false;
      armQuiet();
    });
  });
}
