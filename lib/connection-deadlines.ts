// A connection's deadlines: one link per deadline list of the pool (headers, request, idle, write, linger,
// park), armed and disarmed here in O(1). The pool's sweep fires them on the connection that owns the links.
import type { Connection, ConnectionHost } from './connection.js';
import { Link } from './links.js';

export class ConnectionDeadlines {
  private readonly host: ConnectionHost;
  readonly headers: Link<Connection>;
  readonly request: Link<Connection>;
  readonly idleLink: Link<Connection>;
  readonly park: Link<Connection>;
  // Made on first use: most connections never block a write, and only closing ones linger.
  private write: Link<Connection> | null = null;
  private lingerLink: Link<Connection> | null = null;
  private readonly owner: Connection;
  /** What the socket buffered when the write-stall deadline was armed: less at expiry is progress. */
  stallMark = 0;

  constructor(owner: Connection, host: ConnectionHost) {
    this.owner = owner;
    this.host = host;
    this.headers = new Link(owner);
    this.request = new Link(owner);
    this.idleLink = new Link(owner);
    this.park = new Link(owner);
  }

  private now(): number {
    return this.host.config.clock();
  }

  /** A new connection has headersTimeout to send its first head (node:http does the same). */
  firstHead(): void {
    this.host.headersDeadlines.arm(this.headers, this.now());
  }

  /** A request (or empty lines before one) begins: headersTimeout for its head, requestTimeout in all. */
  messageStarting(): void {
    if (this.request.linked) return;
    const t = this.now();
    if (!this.headers.linked) this.host.headersDeadlines.arm(this.headers, t);
    this.host.requestDeadlines.arm(this.request, t);
  }

  /** After a read: which of the request deadlines still run. */
  messageProgress(inMessage: boolean, inBody: boolean, requests: number): void {
    if (!inMessage) {
      // A new connection that sent only empty lines is still waiting for its first head: keep that deadline.
      if (requests > 0) this.headers.unlink();
      this.request.unlink();
    } else {
      this.messageStarting();
      if (inBody) this.headers.unlink();
    }
  }

  requestOff(): void {
    this.headers.unlink();
    this.request.unlink();
  }

  /** Idle between requests: the idle deadline, and (if it holds one) the parser's return. */
  idle(holdsParser: boolean): void {
    const t = this.now();
    this.host.idleDeadlines.arm(this.idleLink, t);
    if (holdsParser) this.host.parkDeadlines.arm(this.park, t);
  }

  idleOff(): void {
    this.idleLink.unlink();
    this.park.unlink();
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
