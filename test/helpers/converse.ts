// One connection, bytes sent in given pieces, what comes back read with the strict response parser until the
// wanted final responses are complete (and, when asked, until the server closes).
import { parseResponses, type ParseResult } from './response-parser.js';
import { watchEnd, type PeerEnd } from './wire.js';
import { dial } from './transport.js';

export interface ConverseOptions {
  /** Which final responses answer HEAD requests (by index). */
  isHead?: (index: number) => boolean;
  /** Final responses to wait for. */
  responses: number;
  /** After them, wait for the server to close (up to timeoutMs). */
  untilClose?: boolean;
  /** After them, keep listening this long for stray bytes or a close. */
  graceMs?: number;
  /** Pause between pieces: 'tick' (setImmediate) or a number of ms. */
  pause?: 'tick' | number;
  timeoutMs?: number;
}

export interface ConverseResult {
  bytes: Buffer;
  parsed: ParseResult;
  closed: boolean;
  fin: boolean;
  reset: boolean;
  timedOut: boolean;
}

export function converse(port: number, pieces: readonly Buffer[], options: ConverseOptions): Promise<ConverseResult> {
  const isHead = options.isHead ?? (() => false);
  const timeoutMs = options.timeoutMs ?? 5000;
  return new Promise((resolve) => {
    const socket = dial(port, '127.0.0.1');
    socket.setNoDelay(true);
    const received: Buffer[] = [];
    const end: PeerEnd = { closed: false, reset: false, fin: false };
    let done = false;
    let timedOut = false;
    let grace: NodeJS.Timeout | null = null;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(overall);
      if (grace !== null) clearTimeout(grace);
      socket.destroy();
      const bytes = Buffer.concat(received);
      resolve({ bytes, parsed: parseResponses(bytes, isHead, end.closed), ...end, timedOut });
    };
    const overall = setTimeout(() => {
      timedOut = true;
      finish();
    }, timeoutMs);
    const check = (): void => {
      if (grace !== null) return;
      const parsed = parseResponses(Buffer.concat(received), isHead, false);
      if (options.untilClose) {
        // Waiting for the close; more responses than wanted (or garbage) is already a failure: stop here.
        if (parsed.error !== null || parsed.finals.length > options.responses) finish();
        return;
      }
      if (parsed.error !== null || (parsed.finals.length >= options.responses && !parsed.partial)) {
        if (options.graceMs === undefined || options.graceMs <= 0 || parsed.error !== null) finish();
        else grace = setTimeout(finish, options.graceMs);
      }
    };
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      check();
    });
    watchEnd(socket, end, finish, 5, 5);
    socket.once('connect', async () => {
      for (const piece of pieces) {
        if (socket.destroyed || end.closed || done) return;
        socket.write(piece);
        if (options.pause === undefined || options.pause === 'tick') await new Promise((r) => setImmediate(r));
        else await new Promise((r) => setTimeout(r, options.pause as number));
      }
    });
  });
}
