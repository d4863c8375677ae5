// What the pool gives each connection: configuration, observer, handler, the state and deadline lists, the
// parser free list and the counters. The pool implements it; a test may too.
import type { Socket } from 'node:net';
import type { ServerConfig } from './config.js';
import type { Connection } from './connection.js';
import type { Handler } from './handle.js';
import type { DeadlineList, LinkedList } from './links.js';
import type { RequestParser } from './parser.js';
import type { CloseReason, Observer } from './stages.js';

/** What the pool gives a connection. */
export interface ConnectionHost {
  readonly config: ServerConfig;
  readonly observer: Observer;
  readonly handler: Handler;
  readonly states: readonly LinkedList<Connection>[];
  readonly headersDeadlines: DeadlineList<Connection>;
  readonly requestDeadlines: DeadlineList<Connection>;
  readonly idleDeadlines: DeadlineList<Connection>;
  readonly writeDeadlines: DeadlineList<Connection>;
  readonly lingerDeadlines: DeadlineList<Connection>;
  /** Idle connections give their parser back when this expires. */
  readonly parkDeadlines: DeadlineList<Connection>;
  /** The server is shutting down. */
  readonly draining: boolean;
  /** A parser from the free list (or a new one), and back: a connection holds one only while it reads. */
  takeParser(): RequestParser;
  returnParser(parser: RequestParser): void;
  /** Counters for stats(), bumped directly (plain fields: no keyed access on the hot path). */
  readonly counters: Counters;
  released(conn: Connection, reason: CloseReason): void;
  /** The connection handed its socket over (an accepted upgrade): no longer open, not closed by us. */
  upgraded(conn: Connection, socket: Socket): void;
}

export class Counters {
  requests = 0;
  responses = 0;
  bytesIn = 0;
  bytesOut = 0;
}

