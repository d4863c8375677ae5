// One exchange over a real socket: write request bytes (whole or cut at random boundaries), read until the
// responses expected are complete (parsed by the strict test parser), then close. No quiet-period waits.
import net from 'node:net';
import { parseResponses, type Response } from './response-parser.js';
import { pieces, prng } from './wire.js';

export interface ExchangeOptions {
  /** How many final responses to wait for (default 1). */
  count?: number;
  /** Which final responses answer HEAD. */
  head?: (index: number) => boolean;
  /** Cut the request at random boundaries with this seed (each piece its own write). */
  seed?: number;
  timeoutMs?: number;
}

export function exchange(port: number, request: string | Buffer, options: ExchangeOptions = {}): Promise<Response[]> {
  const count = options.count ?? 1;
  const head = options.head ?? (() => false);
  const bytes = typeof request === 'string' ? Buffer.from(request, 'latin1') : request;
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    let done = false;
    const timer = setTimeout(() => finish(new Error(`no complete response in time: ${JSON.stringify(Buffer.concat(received).toString('latin1'))}`)), options.timeoutMs ?? 5000);
    const finish = (error: Error | null, responses: Response[] = []): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (error !== null) reject(error);
      else resolve(responses);
    };
    const check = (closed: boolean): void => {
      const parsed = parseResponses(Buffer.concat(received), head, closed);
      if (parsed.finals.length >= count) finish(null, parsed.finals);
      else if (closed) finish(parsed.finals.length > 0 ? null : new Error(`closed: ${parsed.error ?? 'no response'}`), parsed.finals);
    };
    socket.on('data', (chunk) => {
      received.push(chunk);
      check(false);
    });
    socket.on('end', () => check(true));
    socket.on('error', (error) => finish(error));
    socket.once('connect', async () => {
      const parts = options.seed === undefined ? [bytes] : pieces(bytes, 'random', prng(options.seed));
      for (const part of parts) {
        if (done) return;
        socket.write(part);
        await new Promise((r) => setImmediate(r));
      }
    });
  });
}
