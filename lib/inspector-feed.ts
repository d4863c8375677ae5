// What the wire inspector's page shows, built from the stage channels (stages.ts) while at least one page is
// open, and sent as one batch per tick (100 ms): so a busy server costs the page at most ten messages a second,
// and a server with no page open has no subscriber on any channel at all.
import diagnostics from 'node:diagnostics_channel';
import type { Request } from './request.js';
import { CHANNELS, type StageEvents, type StageName } from './stages.js';
import { redactHead } from './trace.js';

/** How often dirty rows are sent, ms. */
export const TICK_MS = 100;
/** Rows per batch at most; the rest are counted as skipped. */
export const MAX_ROWS_PER_BATCH = 50;
/** Exchanges kept for a page that opens later. */
export const HISTORY = 50;
/** Connections tracked at most (open or recently closed). */
export const MAX_CONNECTIONS = 200;
/** A closed connection stays in the snapshot this long, ms. */
const CLOSED_KEPT_MS = 5000;

export type ConnectionState = 'reading' | 'body' | 'handling' | 'writing' | 'idle' | 'closing' | 'closed';

export interface ConnectionRow {
  id: number;
  remote: string;
  state: ConnectionState;
  requests: number;
  bytesOut: number;
  reason?: string;
  /** Set when the row must disappear from the page (the inspector's own connection). */
  gone?: true;
}

export interface ExchangeRow {
  id: string;
  connection: number;
  method: string;
  target: string;
  /** The request head as parsed, CR LF included, credentials redacted. */
  requestHead: string;
  responseHead?: string;
  framing?: string;
  status?: number;
  bodyBytes?: number;
  /** Stage durations, ms, in order (parse, handle, serialize, frame, write). */
  stages?: Record<string, number>;
  /** Head's arrival to finish, ms. */
  totalMs?: number;
  done: boolean;
}

export interface BackpressureRow {
  connection: number;
  drains: number;
  blockedMs: number;
}

export interface Batch {
  connections: ConnectionRow[];
  exchanges: ExchangeRow[];
  backpressure: BackpressureRow[];
  /** Rows not sent this tick because the batch was full. */
  skipped: number;
}

interface Tracked {
  row: ConnectionRow;
  inFlight: number;
  hidden: boolean;
  closedAt: number;
}

const STAGES: readonly StageName[] = ['accept', 'parse', 'handle', 'frame', 'write', 'drain', 'finish', 'idle', 'close'];

function hasBody(req: Request): boolean {
  const length = req.header('content-length');
  return req.header('transfer-encoding') !== undefined || (length !== undefined && length !== '0');
}

function connectionOf(id: string): number {
  return Number(id.slice(0, id.indexOf('.')));
}

export class InspectorFeed {
  private readonly redacted: ReadonlySet<string>;
  private readonly hidePrefix: string;
  private readonly clients = new Set<(batch: Batch) => void>();
  private readonly connections = new Map<number, Tracked>();
  private readonly exchanges = new Map<string, ExchangeRow>();
  private dirtyConnections = new Set<number>();
  private dirtyExchanges = new Set<string>();
  private backpressure = new Map<number, BackpressureRow>();
  private timer: NodeJS.Timeout | null = null;
  private readonly handlers = new Map<StageName, (message: unknown) => void>();

  /** `redacted`: lower-case header names whose values never reach a page; `hidePrefix`: the inspector's path,
   * whose connections are left out (a page watching its own event stream would never be still). */
  constructor(redacted: readonly string[], hidePrefix: string) {
    this.redacted = new Set(redacted);
    this.hidePrefix = hidePrefix;
    for (const stage of STAGES) this.handlers.set(stage, (message) => this.on(stage, message as never));
  }

  get subscribed(): boolean {
    return this.timer !== null;
  }

  /** Adds a page, whose event stream comes on connection `own` (left out); the first page subscribes to the
   * channels. Returns the snapshot to send first, and the undo. */
  open(send: (batch: Batch) => void, own: number): { snapshot: Batch; close: () => void } {
    if (this.clients.size === 0) this.start();
    this.clients.add(send);
    this.track(own).hidden = true;
    const snapshot: Batch = {
      connections: [...this.connections.values()].filter((c) => !c.hidden).map((c) => c.row),
      exchanges: [...this.exchanges.values()],
      backpressure: [],
      skipped: 0,
    };
    return { snapshot, close: () => this.close(send) };
  }

  private close(send: (batch: Batch) => void): void {
    if (!this.clients.delete(send) || this.clients.size > 0) return;
    for (const [stage, handler] of this.handlers) diagnostics.unsubscribe(CHANNELS[stage].name, handler);
    clearInterval(this.timer as NodeJS.Timeout);
    this.timer = null;
    this.connections.clear();
    this.exchanges.clear();
    this.dirtyConnections.clear();
    this.dirtyExchanges.clear();
    this.backpressure.clear();
  }

  private start(): void {
    for (const [stage, handler] of this.handlers) diagnostics.subscribe(CHANNELS[stage].name, handler);
    this.timer = setInterval(() => this.flush(), TICK_MS);
    this.timer.unref();
  }

  private track(id: number): Tracked {
    let tracked = this.connections.get(id);
    if (tracked === undefined) {
      if (this.connections.size >= MAX_CONNECTIONS) this.forgetOldest();
      tracked = { row: { id, remote: '', state: 'reading', requests: 0, bytesOut: 0 }, inFlight: 0, hidden: false, closedAt: 0 };
      this.connections.set(id, tracked);
    }
    return tracked;
  }

  /** Makes room: the oldest closed connection, else the oldest shown one (a page's own stays hidden). */
  private forgetOldest(): void {
    let oldest: number | undefined;
    for (const [id, tracked] of this.connections) {
      if (tracked.hidden) continue;
      if (tracked.row.state === 'closed') return void this.connections.delete(id);
      oldest ??= id;
    }
    if (oldest !== undefined) this.connections.delete(oldest);
  }

  private set(tracked: Tracked, state: ConnectionState): void {
    tracked.row.state = state;
    if (!tracked.hidden) this.dirtyConnections.add(tracked.row.id);
  }

  private exchange(row: ExchangeRow): void {
    this.exchanges.set(row.id, row);
    if (this.exchanges.size > HISTORY) this.exchanges.delete(this.exchanges.keys().next().value as string);
    this.dirtyExchanges.add(row.id);
  }

  private on<S extends StageName>(stage: S, event: StageEvents[S]): void {
    const e = event as StageEvents[keyof StageEvents];
    const request = 'request' in e ? e.request : null;
    const id = request !== null ? connectionOf(request.id) : (e as { connection?: number }).connection;
    if (id === undefined) return; // a response to no request (a parse error's 400): its connection says the rest
    const tracked = this.track(id);
    if (tracked.hidden) {
      if (stage === 'close') this.connections.delete(tracked.row.id);
      return;
    }
    switch (stage) {
      case 'accept': {
        const a = event as StageEvents['accept'];
        tracked.row.remote = `${a.remoteAddress}:${a.remotePort}`;
        return this.set(tracked, 'reading');
      }
      case 'parse': {
        const req = (event as StageEvents['parse']).request;
        if (req.path.startsWith(this.hidePrefix)) return this.hide(tracked);
        if (tracked.row.remote === '') tracked.row.remote = `${req.remoteAddress}:${req.remotePort}`; // accepted unwatched
        tracked.row.requests++;
        tracked.inFlight++;
        const head = `${redactHead((event as StageEvents['parse']).head, this.redacted)}\r\n`;
        this.exchange({ id: req.id, connection: tracked.row.id, method: req.method, target: req.target, requestHead: head, done: false });
        return this.set(tracked, hasBody(req) ? 'body' : 'handling');
      }
      case 'handle':
        return this.set(tracked, 'handling');
      case 'frame': {
        const f = event as StageEvents['frame'];
        const row = f.request === null ? undefined : this.exchanges.get(f.request.id);
        if (row !== undefined) {
          row.responseHead = redactHead(f.head, this.redacted);
          row.framing = f.framing;
          row.status = f.status;
          this.dirtyExchanges.add(row.id);
        }
        return this.set(tracked, 'writing');
      }
      case 'write':
        tracked.row.bytesOut += (event as StageEvents['write']).bytes;
        return this.set(tracked, tracked.row.state === 'closed' ? 'closed' : 'writing');
      case 'drain': {
        const id = tracked.row.id;
        const bp = this.backpressure.get(id) ?? { connection: id, drains: 0, blockedMs: 0 };
        bp.drains++;
        bp.blockedMs += (event as StageEvents['drain']).waitedMs;
        this.backpressure.set(id, bp);
        return;
      }
      case 'finish':
        return this.finished(tracked, event as StageEvents['finish']);
      case 'idle':
        return this.set(tracked, 'idle');
      default: {
        tracked.row.reason = (event as StageEvents['close']).reason;
        tracked.closedAt = performance.now();
        return this.set(tracked, 'closed');
      }
    }
  }

  private finished(tracked: Tracked, f: StageEvents['finish']): void {
    tracked.inFlight = Math.max(0, tracked.inFlight - 1);
    const row = f.request === null ? undefined : this.exchanges.get(f.request.id);
    if (row !== undefined) {
      const t = f.timings;
      if (t !== null) {
        row.stages = { parse: t.parse, handle: t.handle, serialize: t.serialize, frame: t.frame, write: t.write };
        row.totalMs = performance.now() - t.start;
      }
      row.status = f.status;
      row.bodyBytes = f.bodyBytes;
      row.done = true;
      this.dirtyExchanges.add(row.id);
    }
    this.set(tracked, tracked.inFlight > 0 ? 'handling' : f.keepAlive ? 'idle' : 'closing');
  }

  private hide(tracked: Tracked): void {
    tracked.hidden = true;
    this.dirtyConnections.delete(tracked.row.id);
    for (const send of this.clients) send({ connections: [{ ...tracked.row, gone: true }], exchanges: [], backpressure: [], skipped: 0 });
  }

  /** One batch of what changed since the last tick (nothing is sent when nothing changed). */
  private flush(): void {
    const now = performance.now();
    for (const [id, tracked] of this.connections) {
      if (tracked.row.state === 'closed' && now - tracked.closedAt > CLOSED_KEPT_MS) this.connections.delete(id);
    }
    if (this.dirtyConnections.size + this.dirtyExchanges.size + this.backpressure.size === 0) return;
    let skipped = 0;
    const take = <K, V>(keys: Set<K>, get: (key: K) => V | undefined): V[] => {
      const rows: V[] = [];
      for (const key of keys) {
        const row = get(key);
        if (row === undefined) continue;
        if (rows.length < MAX_ROWS_PER_BATCH) rows.push(row);
        else skipped++;
      }
      keys.clear();
      return rows;
    };
    const batch: Batch = {
      connections: take(this.dirtyConnections, (id) => this.connections.get(id)?.row),
      exchanges: take(this.dirtyExchanges, (id) => this.exchanges.get(id)),
      backpressure: [...this.backpressure.values()].slice(0, MAX_ROWS_PER_BATCH),
      skipped: 0,
    };
    this.backpressure.clear();
    batch.skipped = skipped;
    for (const send of this.clients) send(batch);
  }
}
