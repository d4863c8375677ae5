// The `inspector` server option: a live page at /_wire showing connections, exchanges, heads and backpressure,
// fed by Server-Sent Events that h1wire itself streams (a handler returning a stream body). A teaching and
// debugging tool: it shows other people's traffic, so it answers loopback clients only (or an allow-list),
// redacts credentials (trace.ts) and never shows a body. Off unless asked for.
import { readFileSync } from 'node:fs';
import type { Handler } from './handle.js';
import { InspectorFeed, type Batch } from './inspector-feed.js';
import type { Request } from './request.js';
import type { Result } from './result.js';
import { CREDENTIAL_HEADERS } from './trace.js';

export const INSPECTOR_PATH = '/_wire';
/** Messages waiting for a slow page at most; older ones are dropped and counted. */
export const MAX_QUEUED = 20;

export interface InspectorOptions {
  /** Client addresses allowed besides none (default: loopback only). Exact strings, e.g. '10.0.0.5'. */
  allow?: readonly string[];
  /** More header names whose values are redacted, as for the trace. */
  redact?: readonly string[];
}

/** The `inspector` server option. */
export type InspectorOption = boolean | InspectorOptions;

const ASSETS: Record<string, [string, string]> = {
  '': ['index.html', 'text/html; charset=utf-8'],
  '/wire.js': ['wire.js', 'text/javascript; charset=utf-8'],
  '/wire.css': ['wire.css', 'text/css; charset=utf-8'],
};
const ASSET_DIR = new URL('../../lib/inspector/', import.meta.url);

export function isLoopback(address: string): boolean {
  return address === '::1' || /^(::ffff:)?127\./.test(address);
}

function text(status: number, body: string): Result {
  return { status, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body };
}

/** The event stream of one page: a snapshot, then a batch per tick; a slow page loses the oldest batches. */
export function eventStream(feed: Pick<InspectorFeed, 'open'>, req: Request): AsyncGenerator<string> {
  const signal = req.signal;
  const queue: string[] = [];
  let dropped = 0;
  let wake: (() => void) | null = null;
  const push = (name: string, batch: Batch): void => {
    if (queue.length >= MAX_QUEUED) {
      queue.shift();
      dropped++;
    }
    queue.push(`event: ${name}\ndata: ${JSON.stringify({ ...batch, dropped })}\n\n`);
    wake?.();
  };
  const { snapshot, close } = feed.open((batch) => push('batch', batch), Number(req.id.split('.')[0]));
  push('snapshot', snapshot);
  const stop = (): void => wake?.();
  signal.addEventListener('abort', stop, { once: true });
  return (async function* stream(): AsyncGenerator<string> {
    try {
      yield 'retry: 2000\n\n';
      while (!signal.aborted) {
        const next = queue.shift();
        if (next !== undefined) yield next;
        else await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
      }
    } finally {
      signal.removeEventListener('abort', stop);
      close();
    }
  })();
}

/** Wraps a handler with the inspector's routes; other paths go to `handler` untouched. */
export function withInspector(handler: Handler, option: InspectorOption): Handler {
  if (option !== true && (typeof option !== 'object' || option === null)) {
    throw new TypeError(`option inspector must be true or { allow, redact }, got ${String(option)}`);
  }
  const options: InspectorOptions = option === true ? {} : option;
  const allow = options.allow ?? [];
  if (!Array.isArray(allow) || !allow.every((a) => typeof a === 'string')) {
    throw new TypeError('option inspector.allow must be a list of addresses');
  }
  const redact = [...CREDENTIAL_HEADERS, ...(options.redact ?? []).map((name) => name.toLowerCase())];
  const feed = new InspectorFeed(redact, INSPECTOR_PATH);
  const allowed = new Set(allow);
  return (req: Request) => {
    const path = req.path;
    if (path !== INSPECTOR_PATH && !path.startsWith(`${INSPECTOR_PATH}/`)) return handler(req);
    if (!isLoopback(req.remoteAddress) && !allowed.has(req.remoteAddress)) {
      return text(403, 'the wire inspector answers loopback clients only (see the inspector.allow option)\n');
    }
    if (req.method !== 'GET') return { status: 405, headers: { Allow: 'GET' }, body: '' };
    const rest = path.slice(INSPECTOR_PATH.length);
    if (rest === '/events') {
      return { status: 200, headers: { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' }, body: eventStream(feed, req) };
    }
    const asset = ASSETS[rest];
    if (asset === undefined) return text(404, 'not found\n');
    const body = readFileSync(new URL(asset[0], ASSET_DIR));
    return { status: 200, headers: { 'Content-Type': asset[1], 'Cache-Control': 'no-store' }, body };
  };
}
