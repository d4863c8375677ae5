// Drives a RequestParser the way a connection does: pieces of input in, the messages, pauses and error out.
// Input is given as latin1 strings, so every byte (obs-text included) is written exactly as it appears.
import { PARSE_DONE, PARSE_ERROR, PARSE_PAUSED, RequestParser, type ParserLimits, type RequestHead } from '../../lib/parser.js';
import { pieces, prng, type Split } from '../helpers/wire.js';

export const LIMITS: ParserLimits = {
  maxHeaderSize: 16 * 1024,
  maxRequestLineSize: 8 * 1024,
  maxHeaderCount: 64,
  maxBodySize: 1024 * 1024,
  maxChunkOverhead: 16 * 1024,
};

/** A parsed head as plain data: its fields as strings, so heads compare whole with assert.equal. */
export type SeenHead = Omit<RequestHead, 'fields'> & { rawHeaders: string[] };

export function seen(head: RequestHead): SeenHead {
  const { fields, ...rest } = head;
  return { ...rest, rawHeaders: fields.raw() };
}

export interface Message {
  head: SeenHead;
  /** The body bytes, joined, as latin1. */
  body: string;
  /** Number of onBody events. */
  bodyEvents: number;
  /** Trailers given to onMessageEnd (undefined while the message has not ended). */
  trailers: string[] | null | undefined;
}

export interface Outcome {
  messages: Message[];
  /** Absolute offsets (into the whole input) where execute returned PARSE_PAUSED. */
  pauses: number[];
  error: { status: number; code: string; closes: boolean; message: string } | null;
  /** Absolute offset where parsing failed. */
  errorAt: number;
  /** Event kinds in delivery order: H, B, E. */
  order: string;
}

export interface DriveOptions {
  split?: Split;
  seed?: number;
  budget?: number;
  limits?: Partial<ParserLimits>;
  /** Keep parsing after a message that closes the connection (a connection would stop). */
  ignoreClose?: boolean;
}

export function bytes(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

/** Feeds `input` to a fresh parser, cut as `split` says, and collects what comes out. */
export function drive(input: string | Buffer, options: DriveOptions = {}): Outcome {
  const parser = new RequestParser({ ...LIMITS, ...options.limits });
  const outcome = driveWith(parser, input, options);
  parser.free();
  return outcome;
}

export function driveWith(parser: RequestParser, input: string | Buffer, options: DriveOptions = {}): Outcome {
  const data = typeof input === 'string' ? bytes(input) : input;
  const budget = options.budget ?? 1000;
  const out: Outcome = { messages: [], pauses: [], error: null, errorAt: -1, order: '' };
  let current: Message | null = null;
  const bodies: Buffer[][] = [];
  parser.bind({
    onHead(head) {
      current = { head: seen(head), body: '', bodyEvents: 0, trailers: undefined };
      out.messages.push(current);
      bodies.push([]);
      out.order += 'H';
    },
    onBody(chunk) {
      if (current === null) throw new Error('body before head');
      // Copy: the parser hands out views of its input.
      (bodies[bodies.length - 1] as Buffer[]).push(Buffer.from(chunk));
      current.bodyEvents++;
      out.order += 'B';
    },
    onMessageEnd(trailers) {
      if (current === null) throw new Error('end before head');
      current.trailers = trailers;
      out.order += 'E';
    },
  });
  const parts = pieces(data, options.split ?? 'whole', prng(options.seed ?? 1));
  let base = 0;
  outer: for (const part of parts) {
    let from = 0;
    for (;;) {
      const status = parser.execute(part, from, budget);
      if (status === PARSE_ERROR) {
        const e = parser.error;
        if (e === null) throw new Error('PARSE_ERROR without an error');
        out.error = { status: e.status, code: e.code, closes: e.closesConnection, message: e.message };
        out.errorAt = base + parser.offset;
        break outer;
      }
      if (status === PARSE_PAUSED) {
        out.pauses.push(base + parser.offset);
        const last = out.messages[out.messages.length - 1];
        if (last !== undefined && !last.head.keepAlive && options.ignoreClose !== true) break outer;
        if (parser.offset < part.length) {
          from = parser.offset;
          continue;
        }
      } else if (status !== PARSE_DONE) {
        throw new Error(`unexpected execute result ${status}`);
      }
      break;
    }
    base += part.length;
  }
  out.messages.forEach((m, i) => {
    m.body = Buffer.concat(bodies[i] as Buffer[]).toString('latin1');
  });
  return out;
}

/** What must not depend on how the input was cut: heads, joined bodies, trailers, the error code. */
export function essence(outcome: Outcome): unknown {
  return {
    messages: outcome.messages.map((m) => ({ head: m.head, body: m.body, trailers: m.trailers })),
    error: outcome.error === null ? null : { status: outcome.error.status, code: outcome.error.code },
  };
}

export const SPLITS: { split: Split; seed: number }[] = [
  { split: 'whole', seed: 1 },
  { split: 'bytes', seed: 1 },
  ...[1, 2, 3, 7, 42, 1234, 99991].map((seed) => ({ split: 'random' as Split, seed })),
];
