// Exact-bytes exchanges for the wire tests: send a request (whole, one byte per write, or split at random
// boundaries), read until the expected responses are complete (or the server closes), and compare the whole
// response text with the Date values replaced by a placeholder (each one checked to be an IMF-fixdate close
// to now first).
import net from 'node:net';
import { parseResponses, type Response } from './response-parser.js';
import { pieces, prng, watchEnd, type PeerEnd, type Split } from './wire.js';
import { dial } from './transport.js';

/** RFC 9110 §5.6.7 IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT". */
export const IMF_FIXDATE = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-3][0-9] (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-2][0-9]:[0-5][0-9]:[0-6][0-9] GMT$/;

/** What stands for a Date value in the expected texts. */
export const DATE = '<date>';

/** The connection lines of a kept response with the default keep-alive timeout (5 s). */
export const KEEP = 'Connection: keep-alive\r\nKeep-Alive: timeout=5\r\n';
export const CLOSE = 'Connection: close\r\n';

/**
 * Replaces every Date header value with DATE. Throws when a value is not an IMF-fixdate or lies outside
 * [`since` − `skewMs`, now + `skewMs`] (the server caches it for at most a second; `since`, when the request
 * was sent, keeps a large response that took long to arrive from failing on a busy machine).
 */
export function normalize(text: string, skewMs = 5000, since = Date.now()): string {
  return text.replace(/\r\nDate: ([^\r\n]*)\r\n/gi, (_line, value: string) => {
    if (!IMF_FIXDATE.test(value)) throw new Error(`Date is not an IMF-fixdate: ${JSON.stringify(value)}`);
    const when = Date.parse(value);
    if (!Number.isFinite(when) || when < since - skewMs || when > Date.now() + skewMs) {
      throw new Error(`Date ${JSON.stringify(value)} is not within ${skewMs} ms of now (${new Date().toUTCString()})`);
    }
    return `\r\nDate: ${DATE}\r\n`;
  });
}

/** The exact text of a 200 `text/plain` response (Date normalised), keeping the connection or closing it. */
export function textResponse(body: string, close = false): string {
  return `HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nDate: ${DATE}\r\n${close ? CLOSE : KEEP}\r\n${body}`;
}

/** One send variant: how the request bytes are cut into writes. */
export interface Variant {
  split: Split;
  seed: number;
  label: string;
}

/** Whole, one byte per write, and three random splits. */
export const VARIANTS: readonly Variant[] = [
  { split: 'whole', seed: 1, label: 'whole' },
  { split: 'bytes', seed: 1, label: 'one byte per write' },
  { split: 'random', seed: 11, label: 'random split, seed 11' },
  { split: 'random', seed: 4242, label: 'random split, seed 4242' },
  { split: 'random', seed: 90001, label: 'random split, seed 90001' },
];

/** Runs `fn` for every variant (concurrently, each on its own connection); fails with every variant's problem. */
export async function everyVariant(fn: (variant: Variant) => Promise<void>, variants: readonly Variant[] = VARIANTS): Promise<void> {
  const problems = await Promise.all(
    variants.map(async (v) => {
      try {
        await fn(v);
        return null;
      } catch (error) {
        return `[${v.label}] ${(error as Error).message}`;
      }
    }),
  );
  const failed = problems.filter((p): p is string => p !== null);
  if (failed.length > 0) throw new Error(failed.join('\n'));
}

export interface TalkOptions {
  split?: Split;
  seed?: number;
  /** Final responses to wait for (1xx do not count). */
  responses?: number;
  /** Which final responses answer HEAD requests (by index). */
  heads?: readonly number[];
  /** After the responses are complete, keep listening this long for stray bytes or a close. */
  graceMs?: number;
  /** Wait for the server to close the connection (up to timeoutMs) instead of the grace period. */
  untilClose?: boolean;
  timeoutMs?: number;
}

export interface TalkResult {
  bytes: Buffer;
  /** Latin-1 text of what was received. */
  text: string;
  /** The same with Date values replaced by DATE (throws if a Date is malformed, see normalize). */
  normalized: string;
  responses: Response[];
  /** The server ended the connection (FIN or reset) while we listened. */
  closed: boolean;
  reset: boolean;
  /** The read side saw an orderly FIN. */
  fin: boolean;
}

/** Sends `input`, reads what comes back until the wanted responses are complete, and returns it. */
export function talk(port: number, input: string | Buffer, options: TalkOptions = {}): Promise<TalkResult> {
  const data = typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
  const split = options.split ?? 'whole';
  const random = prng(options.seed ?? 1);
  const wanted = options.responses ?? 1;
  const heads = new Set(options.heads ?? []);
  const graceMs = options.graceMs ?? 100;
  const timeoutMs = options.timeoutMs ?? 5000;
  return new Promise((resolve, reject) => {
    const sentAt = Date.now();
    const socket = dial(port, '127.0.0.1');
    socket.setNoDelay(true);
    const received: Buffer[] = [];
    const end: PeerEnd = { closed: false, reset: false, fin: false };
    let done = false;
    let grace: NodeJS.Timeout | null = null;
    const finish = (): void => {
      if (done) return;
      done = true;
      if (grace !== null) clearTimeout(grace);
      clearTimeout(overall);
      socket.destroy();
      const bytes = Buffer.concat(received);
      const text = bytes.toString('latin1');
      let normalized: string;
      try {
        normalized = normalize(text, 5000, sentAt);
      } catch (error) {
        reject(error);
        return;
      }
      const parsed = parseResponses(bytes, (i) => heads.has(i), end.closed);
      resolve({ bytes, text, normalized, responses: parsed.responses, ...end });
    };
    const overall = setTimeout(finish, timeoutMs);
    const complete = (): boolean => {
      const parsed = parseResponses(Buffer.concat(received), (i) => heads.has(i), false);
      return parsed.responses.filter((r) => r.status >= 200).length >= wanted && parsed.rest.length === 0;
    };
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      if (!options.untilClose && grace === null && complete()) grace = setTimeout(finish, graceMs);
    });
    watchEnd(socket, end, finish);
    socket.once('connect', async () => {
      for (const piece of pieces(data, split, random)) {
        if (socket.destroyed || done) return;
        await new Promise<void>((r) => socket.write(piece, () => r()));
        if (split !== 'whole') await new Promise((r) => setImmediate(r));
      }
    });
  });
}

/** A connection driven step by step: write, then wait for what the server says. */
export class Conversation {
  readonly socket: net.Socket;
  private received: Buffer[] = [];
  private waiters: (() => void)[] = [];
  /** When each chunk arrived (performance.now()), with the total received so far. */
  readonly arrivals: { at: number; total: number }[] = [];
  closed = false;
  fin = false;
  reset = false;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.received.push(chunk);
      this.arrivals.push({ at: performance.now(), total: this.bytes().length });
      this.wake();
    });
    socket.on('end', () => {
      this.fin = true;
      this.closed = true;
      this.wake();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') this.reset = true;
      this.closed = true;
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  static open(port: number): Promise<Conversation> {
    return new Promise((resolve, reject) => {
      const socket = dial(port, '127.0.0.1');
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new Conversation(socket));
      });
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  bytes(): Buffer {
    if (this.received.length > 1) this.received = [Buffer.concat(this.received)];
    return this.received[0] ?? Buffer.alloc(0);
  }

  text(): string {
    return this.bytes().toString('latin1');
  }

  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data, (error) => (error ? reject(error) : resolve()));
    });
  }

  /** Resolves once `test(text)` holds; rejects after timeoutMs with what was received. */
  async until(test: (text: string) => boolean, timeoutMs = 3000, what = 'the expected bytes'): Promise<string> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const text = this.text();
      if (test(text)) return text;
      const left = deadline - performance.now();
      if (left <= 0 || this.closed) {
        throw new Error(`timed out waiting for ${what}${this.closed ? ' (connection closed)' : ''}; got ${JSON.stringify(this.text())}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits until the server closes (true) or timeoutMs passes (false). */
  async waitClose(timeoutMs = 3000): Promise<boolean> {
    try {
      await this.until(() => this.closed, timeoutMs, 'the close');
      return true;
    } catch {
      return this.closed;
    }
  }

  /** Waits `ms` and returns what arrived meanwhile. */
  async quiet(ms: number): Promise<string> {
    const before = this.bytes().length;
    await new Promise((r) => setTimeout(r, ms));
    return this.bytes().subarray(before).toString('latin1');
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export interface ExpectOptions {
  responses?: number;
  heads?: readonly number[];
  /** The server must close (with a FIN, not a reset) after these responses; false: it must keep the connection. */
  closes: boolean;
  /** How long to watch a kept connection for stray bytes or a close, ms. */
  graceMs?: number;
  variants?: readonly Variant[];
}

/**
 * Sends `request` in every variant and checks that the whole response text (Dates normalized) is `expected`,
 * and that the connection is closed (orderly) or kept as `closes` says.
 */
export async function expectExact(port: number, request: string | Buffer, expected: string, options: ExpectOptions): Promise<void> {
  await everyVariant(async (v) => {
    const result = await talk(port, request, {
      split: v.split,
      seed: v.seed,
      responses: options.responses ?? 1,
      heads: options.heads ?? [],
      graceMs: options.graceMs ?? 150,
      untilClose: options.closes,
    });
    if (result.normalized !== expected) {
      throw new Error(`response differs\n   expected: ${JSON.stringify(expected)}\n   actual:   ${JSON.stringify(result.normalized)}`);
    }
    if (options.closes && !(result.closed && result.fin && !result.reset)) {
      throw new Error(`expected an orderly close (FIN), got closed=${result.closed} fin=${result.fin} reset=${result.reset}`);
    }
    if (!options.closes && result.closed) throw new Error('the server closed a connection it should have kept');
  }, options.variants);
}
