// The accept stage and the connection manager: every socket gets a Connection (from a free list), every
// connection sits in exactly one state list (so counts are always known and every move is O(1)), and all
// deadlines live in per-timeout lists that one unref'd timer sweeps. No timer per request, none per socket.
import type { Socket } from 'node:net';
import type { ServerConfig } from './config.js';
import {
  Connection,
  Counters,
  STATE_NAMES,
  ST_IDLE,
  type ConnectionHost,
  type StateName,
} from './connection.js';
import { headersExpired, idleExpired, lingerExpired, requestExpired, writeExpired } from './connection-deadlines.js';
import { errorBody, ServiceUnavailableError } from './errors.js';
import type { Handler } from './handle.js';
import * as limits from './limits.js';
import { DeadlineList, LinkedList } from './links.js';
import { RequestParser } from './parser.js';
import type { ProxyAddress } from './proxy-protocol.js';
import { CLOSE_REASONS, type CloseReason, type Observer } from './stages.js';
import { statusLine } from './status.js';

export interface ServerStats {
  /** Connections accepted since the server started (refused ones included). */
  accepted: number;
  /** Connections refused with 503 because of maxConnections. */
  refused: number;
  /** Open connections, in all and by state. */
  open: number;
  byState: Record<StateName, number>;
  /** Requests parsed, responses completed. */
  requests: number;
  responses: number;
  bytesIn: number;
  bytesOut: number;
  /** Closed connections by reason. */
  closes: Record<CloseReason, number>;
  /** Sockets handed over by an accepted upgrade (never counted as open or closed). */
  upgraded: number;
  /** Objects waiting for reuse. */
  free: { connections: number; parsers: number };
}


export class ConnectionPool implements ConnectionHost {
  readonly config: ServerConfig;
  readonly observer: Observer;
  readonly handler: Handler;
  readonly states: readonly LinkedList<Connection>[];
  readonly headersDeadlines: DeadlineList<Connection>;
  readonly requestDeadlines: DeadlineList<Connection>;
  readonly idleDeadlines: DeadlineList<Connection>;
  readonly writeDeadlines: DeadlineList<Connection>;
  readonly lingerDeadlines: DeadlineList<Connection>;
  readonly parkDeadlines: DeadlineList<Connection>;
  /** The server is shutting down (responses say `Connection: close`, nothing new is read). */
  draining = false;

  private readonly freeConnections: Connection[] = [];
  private readonly freeParsers: RequestParser[] = [];
  private nextId = 1;
  private accepted = 0;
  private refused = 0;
  /** Refused connections still open (answering 503, then lingering): they count apart from maxConnections. */
  private refusing = 0;
  readonly counters = new Counters();
  private readonly closes = Object.fromEntries(CLOSE_REASONS.map((r) => [r, 0])) as Record<CloseReason, number>;
  private upgradedCount = 0;
  /** Upgraded sockets still open, for close({ upgraded: 'destroy' }) (each holds one 'close' listener of ours). */
  readonly upgradedSockets = new Set<Socket>();
  private sweeper: NodeJS.Timeout | null = null;
  private readonly sweepPeriod: number;
  private emptyWaiters: (() => void)[] = [];
  private readonly refusal: string;

  constructor(config: ServerConfig, observer: Observer, handler: Handler) {
    this.config = config;
    this.observer = observer;
    this.handler = handler;
    const idle = config.keepAliveTimeout > 0 ? config.keepAliveTimeout + config.keepAliveBuffer : 0;
    this.idleDeadlines = new DeadlineList('idle', idle);
    // Idle connections are listed in the order they became idle: the idle state list is the idle deadline list.
    this.states = STATE_NAMES.map((name, state) => (state === ST_IDLE ? this.idleDeadlines : new LinkedList<Connection>(name)));
    this.headersDeadlines = new DeadlineList('headers', config.headersTimeout);
    this.requestDeadlines = new DeadlineList('request', config.requestTimeout);
    this.writeDeadlines = new DeadlineList('write', config.writeTimeout);
    this.lingerDeadlines = new DeadlineList('linger', config.closeLinger);
    this.parkDeadlines = new DeadlineList('park', limits.PARSER_RETURN_DELAY);
    // The sweep period follows the shortest timeout, so that each deadline fires within a small fraction of it.
    const shortest = Math.min(
      ...[config.headersTimeout, config.requestTimeout, idle, config.writeTimeout, config.closeLinger].filter((t) => t > 0),
      limits.MAX_SWEEP_PERIOD * 8,
    );
    this.sweepPeriod = Math.max(limits.MIN_SWEEP_PERIOD, Math.min(limits.MAX_SWEEP_PERIOD, Math.floor(shortest / 8)));
    const busy = new ServiceUnavailableError('too many connections');
    const body = errorBody(busy);
    this.refusal = `${statusLine(503)}Content-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`;
  }

  /** How often deadlines are checked, in milliseconds. */
  get period(): number {
    return this.sweepPeriod;
  }

  get openCount(): number {
    let n = 0;
    for (const list of this.states) n += list.size;
    return n;
  }

  /** Takes a socket (with the client's address from a PROXY header, if any); returns its Connection, or null
   * when a flood of refusals closed it at once. */
  accept(socket: Socket, peer: ProxyAddress | null = null): Connection | null {
    this.accepted++;
    let conn: Connection | null = null;
    const max = this.config.maxConnections;
    // Every open socket counts, closing ones included: each holds a descriptor until it is gone.
    if (max > 0 && this.openCount - this.refusing >= max) {
      this.refused++;
      if (this.refusing >= limits.REFUSALS_IN_FLIGHT) {
        // A flood: no 503 (its linger would pile up descriptors), the socket is closed at once.
        socket.destroy();
        this.closes.refused++;
        return null;
      }
      this.refusing++;
      conn = this.freeConnections.pop() ?? new Connection(this);
      conn.refuse(this.nextId++, socket, this.refusal, 'refused');
    } else {
      conn = this.freeConnections.pop() ?? new Connection(this);
      conn.open(this.nextId++, socket, peer);
    }
    if (this.sweeper === null) {
      this.sweeper = setInterval(sweep, this.sweepPeriod, this);
      this.sweeper.unref();
    }
    return conn;
  }

  takeParser(): RequestParser {
    return this.freeParsers.pop() ?? new RequestParser(this.config.parserLimits);
  }

  returnParser(parser: RequestParser): void {
    if (this.freeParsers.length < limits.PARSER_FREE_LIST) this.freeParsers.push(parser);
    else parser.free();
  }

  released(conn: Connection, reason: CloseReason): void {
    this.closes[reason]++;
    if (reason === 'refused') this.refusing--;
    this.recycle(conn);
  }

  upgraded(conn: Connection, socket: Socket): void {
    this.upgradedCount++;
    const sockets = this.upgradedSockets;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    this.recycle(conn);
  }

  /** A socket never past the accept stage (a failed TLS handshake, no PROXY header) closed: it was accepted,
   * and is counted under `reason`. */
  countClose(reason: CloseReason): void {
    this.accepted++;
    this.closes[reason]++;
  }

  private recycle(conn: Connection): void {
    const parser = conn.reader.releaseParser();
    if (parser !== null) this.returnParser(parser);
    if (this.freeConnections.length < limits.CONNECTION_FREE_LIST) this.freeConnections.push(conn);
    if (this.openCount === 0) {
      const waiters = this.emptyWaiters;
      this.emptyWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /** Fires what has expired. Each list is in deadline order, so this looks at expired links only. */
  sweep(): void {
    const t = this.config.clock();
    this.headersDeadlines.expire(t, headersExpired);
    this.requestDeadlines.expire(t, requestExpired);
    this.idleDeadlines.expire(t, idleExpired);
    this.writeDeadlines.expire(t, writeExpired);
    this.lingerDeadlines.expire(t, lingerExpired);
    this.parkDeadlines.expire(t, (c) => c.parked());
    if (this.openCount === 0 && this.sweeper !== null) {
      clearInterval(this.sweeper);
      this.sweeper = null;
    }
  }

  /** Shutdown: idle connections close now, busy ones after their in-flight requests. */
  shutdownAll(): void {
    this.draining = true;
    for (const list of this.states) for (const conn of list) conn.shutdown();
  }

  closeIdle(): number {
    let n = 0;
    for (const conn of this.states[ST_IDLE] as LinkedList<Connection>) if (conn.closeIfIdle()) n++;
    return n;
  }

  destroyAll(reason: CloseReason): void {
    for (const list of this.states) for (const conn of list) conn.destroy(reason);
  }

  /** Resolves once no connection is open. */
  whenEmpty(): Promise<void> {
    if (this.openCount === 0) return Promise.resolve();
    return new Promise((resolve) => this.emptyWaiters.push(resolve));
  }

  /** Stops the sweep timer and frees the parsers kept for reuse. */
  dispose(): void {
    if (this.sweeper !== null) clearInterval(this.sweeper);
    this.sweeper = null;
    for (const parser of this.freeParsers) parser.free();
    this.freeParsers.length = 0;
    this.freeConnections.length = 0;
  }

  stats(): ServerStats {
    const byState = {} as Record<StateName, number>;
    STATE_NAMES.forEach((name, i) => {
      byState[name] = (this.states[i] as LinkedList<Connection>).size;
    });
    return {
      accepted: this.accepted,
      refused: this.refused,
      open: this.openCount,
      byState,
      requests: this.counters.requests,
      responses: this.counters.responses,
      bytesIn: this.counters.bytesIn,
      bytesOut: this.counters.bytesOut,
      closes: { ...this.closes },
      upgraded: this.upgradedCount,
      free: { connections: this.freeConnections.length, parsers: this.freeParsers.length },
    };
  }
}

function sweep(pool: ConnectionPool): void {
  pool.sweep();
}
