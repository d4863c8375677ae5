// The parts of a connection that serve requests (reader, responder, write queue, deadlines), made together when
// a socket is taken or a parked connection wakes, and given up when it is parked (idle for PARSER_RETURN_DELAY,
// nothing held): thousands of idle keep-alive connections hold none. Connection extends this; every entry point
// that may find a parked connection (its socket's events, closing) calls `ensureParts` first.
//
// Without parts of its own, a connection's part fields point at those of its pool's vacant connection (one that
// never holds a socket), never at null: V8 keeps a field's type exact only while one class is stored there, and
// a null in these fields, or a check where they are read, cost ~5% of a keep-alive request's CPU.
import type { Connection } from './connection.js';
import { ConnectionDeadlines } from './connection-deadlines.js';
import type { ConnectionHost } from './connection-host.js';
import { ConnectionSocket } from './connection-socket.js';
import { RequestReader } from './reader.js';
import { Responder } from './responder.js';
import { WriteQueue } from './write-queue.js';

export abstract class ConnectionParts extends ConnectionSocket {
  private ownsParts = false;
  /** The read side: 'data' → parser → exchanges → handler. */
  reader!: RequestReader;
  /** The answer side: outcome → serialize → frame → queue. */
  responder!: Responder;
  /** Responses in request order, and the bytes on their way to the socket (a new one for each socket). */
  queue!: WriteQueue;
  deadlines!: ConnectionDeadlines;
  /** Whose parts this one points at while it has none; null: this is that vacant connection. */
  private readonly vacant: ConnectionParts | null;

  constructor(host: ConnectionHost, vacant: ConnectionParts | null) {
    super(host);
    this.vacant = vacant;
    if (vacant === null) this.makeParts(false);
    else this.dropParts();
  }

  /** Holds parts of its own (it is not parked). */
  get awake(): boolean {
    return this.ownsParts;
  }

  /** A parked connection wakes. */
  protected ensureParts(): void {
    if (!this.ownsParts) this.makeParts(true);
  }

  /** A new socket: the reader starts afresh and the queue is new (a late callback of the last socket's may
   * still hold the old one). */
  protected renewParts(): void {
    if (!this.ownsParts) {
      this.makeParts(true);
      return;
    }
    this.reader.reset();
    this.queue = new WriteQueue(this, this.responder, this.host.config.highWaterMark);
  }

  /** Parked: the parts go (the caller has given the parser back and stopped the deadlines). */
  protected dropParts(): void {
    const vacant = this.vacant as ConnectionParts;
    this.ownsParts = false;
    this.reader = vacant.reader;
    this.responder = vacant.responder;
    this.queue = vacant.queue;
    this.deadlines = vacant.deadlines;
  }

  private makeParts(owns: boolean): void {
    const conn = this as unknown as Connection; // the only subclass
    this.ownsParts = owns;
    this.reader = new RequestReader(conn);
    this.responder = new Responder(conn);
    this.queue = new WriteQueue(this, this.responder, this.host.config.highWaterMark);
    this.deadlines = new ConnectionDeadlines(conn, this.host);
  }
}
