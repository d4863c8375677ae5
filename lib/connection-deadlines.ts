// A connection's deadlines: armed and disarmed here in O(1), fired by the pool's sweep (the functions at the
// end say what each one does to the connection). The idle deadline is the connection's place in the idle
// state list itself (links.ts `enter`): entering idle arms it, leaving idle disarms it. The others are Links
// made on first use and dropped when the connection is parked, so an idle connection holds none. The park
// deadline lists the idle connections that still hold their parser and parts (connection.ts `parked`).
import type { Connection, ConnectionHost } from './connection.js';
import { RequestTimeoutError } from './errors.js';
import { WARM_IDLE_CONNECTIONS } from './limits.js';
import { Link } from './links.js';

export class ConnectionDeadlines {
  private readonly host: ConnectionHost;
  private readonly owner: Connection;
  private headers: Link<Connection> | null = null;
  private request: Link<Connection> | null = null;
  private park: Link<Connection> | null = null;
  private write: Link<Connection> | null = null;
  private lingerLink: Link<Connection> | null = null;
  /** What the socket buffered when the write-stall deadline was armed: less at expiry is progress. */
  stallMark = 0;

  constructor(owner: Connection, host: ConnectionHost) {
    this.owner = owner;
    this.host = host;
  }

  private now(): number {
    return this.host.config.clock();
  }

  /** A new connection has headersTimeout to send its first head (node:http does the same). */
  firstHead(): void {
    this.host.headersDeadlines.arm((this.headers ??= new Link(this.owner)), this.now());
  }

  /** A request (or empty lines before one) begins: headersTimeout for its head, requestTimeout in all. */
  messageStarting(): void {
    if (this.request !== null && this.request.linked) return;
    const t = this.now();
    const headers = (this.headers ??= new Link(this.owner));
    if (!headers.linked) this.host.headersDeadlines.arm(headers, t);
    this.host.requestDeadlines.arm((this.request ??= new Link(this.owner)), t);
  }

  /** After a read: which of the request deadlines still run. */
  messageProgress(inMessage: boolean, inBody: boolean, requests: number): void {
    if (!inMessage) {
      // A new connection that sent only empty lines is still waiting for its first head: keep that deadline.
      if (requests > 0) this.headers?.unlink();
      this.request?.unlink();
    } else {
      this.messageStarting();
      if (inBody) this.headers?.unlink();
    }
  }

  requestOff(): void {
    this.headers?.unlink();
    this.request?.unlink();
  }

  /** Idle between requests (the idle deadline runs from the idle list): the parser's return, if it holds one.
   * Past WARM_IDLE_CONNECTIONS idle connections holding theirs, the one idle longest is parked now. */
  idle(holdsParser: boolean, now: number): void {
    if (!holdsParser) return;
    const parks = this.host.parkDeadlines;
    const park = (this.park ??= new Link(this.owner));
    if (!park.linked && parks.size >= WARM_IDLE_CONNECTIONS) parks.shift()?.parked();
    parks.arm(park, now);
  }

  idleOff(): void {
    this.park?.unlink();
  }

  /** Parked: idle, and no deadline of these runs. Their links go; the next request makes what it needs. */
  drop(): void {
    this.requestOff();
    this.idleOff();
    this.headers = null;
    this.request = null;
    this.park = null;
  }

  /** Starts the write-stall deadline: it fires unless what the socket buffers falls below `buffered`. */
  writeStall(buffered: number): void {
    this.stallMark = buffered;
    this.host.writeDeadlines.arm((this.write ??= new Link(this.owner)), this.now());
  }

  get writeArmed(): boolean {
    return this.write !== null && this.write.linked;
  }

  writeOff(): void {
    this.write?.unlink();
  }

  /** Our FIN has left: closeLinger for the client to close its side. */
  linger(): void {
    this.host.lingerDeadlines.arm((this.lingerLink ??= new Link(this.owner)), this.now());
  }

  allOff(): void {
    this.requestOff();
    this.idleOff();
    this.writeOff();
    this.lingerLink?.unlink();
  }
}

// ---- what each deadline does when it fires (called by the pool's sweep) ----------------------------------

export function headersExpired(conn: Connection): void {
  if (conn.reader.inMessage) {
    conn.responder.protocolError(new RequestTimeoutError('the request head took too long', 'H1W_HEADERS_TIMEOUT'), 'headers-timeout');
  } else {
    conn.closeGracefully('headers-timeout'); // never sent a byte of a request: nothing to answer
  }
}

export function requestExpired(conn: Connection): void {
  conn.responder.protocolError(new RequestTimeoutError('the request took too long', 'H1W_REQUEST_TIMEOUT'), 'request-timeout');
}

export function idleExpired(conn: Connection): void {
  conn.closeGracefully('idle-timeout');
}

export function writeExpired(conn: Connection): void {
  const buffered = conn.writableLength;
  if (conn.rawSocket() !== null && buffered < conn.deadlines.stallMark) {
    // Progress since the deadline was set: the reader is slow, not gone. Start over from here.
    if (buffered > 0 || conn.queue.blocked) conn.deadlines.writeStall(buffered);
    return;
  }
  conn.destroy('write-stalled');
}

export function lingerExpired(conn: Connection): void {
  conn.destroy('client-closed'); // a reason already given stands
}

