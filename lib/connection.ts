// One socket, and the one object that owns everything about it: its life cycle, its deadlines, its place
// in the pool's state lists. The work is done by parts it makes when it takes a socket and drops when it is
// parked (idle for a while: connection-parts.ts), so that an idle keep-alive connection is this object and its
// socket (connection objects are reused from the pool's free list; nothing is stashed on the socket):
//
//   reader.ts     'data' → parser → heads, body chunks, ends → exchanges → handler (read side)
//   responder.ts  outcome → serialize → frame (keep or close: keep-alive.ts) → write queue (write side)
//
// Its socket's events come through connection-events.ts; its socket side (writes, the peer) is
// connection-socket.ts; its deadlines, armed and fired, connection-deadlines.ts.
//
// A response is done when its last byte is queued; the connection is then kept (idle) or closed: FIN,
// then a short linger that reads and drops, then destroy.
import type { Socket } from 'node:net';
import {
  READ_CLOSED,
  ST_CLOSING,
  ST_IDLE,
  ST_READING,
  STATE_NAMES,
  WRITE_BLOCKED,
  WRITE_CLOSED,
  WRITE_CLOSING,
  WRITE_READY,
  connState,
  type ConnState,
  type SideFacts,
  type StateName,
  type WriteState,
} from './connection-states.js';
import { BadRequestError, ConnectionClosedError } from './errors.js';
import { EX_SENDING, type Exchange } from './exchange.js';
import { listen, listenForDrain, unlisten } from './connection-events.js';
import { ConnectionParts } from './connection-parts.js';
import type { LinkedList } from './links.js';
import type { ProxyAddress } from './proxy-protocol.js';
import type { RequestOrigin } from './request.js';
import type { ConnectionHost } from './connection-host.js';
import type { CloseReason } from './stages.js';
import { handOff, type UpgradeCallback } from './upgrade.js';

export { ST_CLOSING, ST_IDLE, STATE_NAMES, type StateName };
export { Counters, type ConnectionHost } from './connection-host.js';

/** Each pool's vacant connection (connection-parts.ts), made with its first connection. */
const vacantConnections = new WeakMap<ConnectionHost, Connection>();

function vacantFor(host: ConnectionHost): Connection {
  let vacant = vacantConnections.get(host);
  if (vacant === undefined) {
    vacant = new Connection(host, true);
    vacantConnections.set(host, vacant);
  }
  return vacant;
}

/** What connState() reads, filled in place on each update (one for all connections: read at once, never kept). */
const SIDES: SideFacts = { write: WRITE_READY, sending: false, inBody: false, inHead: true, inFlight: 0 };

/** A connection is itself the link of its state list (the idle list is also the idle deadline list); its
 * socket side (writes, the peer's address) is connection-socket.ts. */
export class Connection extends ConnectionParts implements RequestOrigin {
  id = 0;
  /** The pool's view (derived from both sides; see connection-states.ts). */
  state: ConnState = ST_READING;
  /** The write side: ready, blocked, closing, closed (the read side's state is the reader's). */
  writeState: WriteState = WRITE_READY;

  /** Requests started on this connection. */
  requests = 0;
  bytesIn = 0;
  bytesOut = 0;

  private reason: CloseReason | null = null;

  /** `vacant`: this is its pool's vacant connection, whose parts the others point at while they have none. */
  constructor(host: ConnectionHost, vacant = false) {
    super(host, vacant ? null : vacantFor(host));
  }

  now(): number {
    return this.host.config.clock();
  }

  /** Our side is ending or ended. */
  get closing(): boolean {
    return this.writeState >= WRITE_CLOSING;
  }

  /** The socket is gone. */
  get gone(): boolean {
    return this.writeState === WRITE_CLOSED;
  }

  // ---- life cycle ---------------------------------------------------------------------------------------

  /** Takes a new socket (the object may be a reused one). The parser comes with the first byte. `peer`: the
   * client from a PROXY header, which stands for the socket's own address. */
  open(id: number, socket: Socket, peer: ProxyAddress | null = null): void {
    this.attach(id, socket, peer);
    socket.setNoDelay(true);
    listenForDrain(socket);
    this.deadlines.firstHead();
    const obs = this.host.observer;
    if (obs.accept.on) obs.emit('accept', { connection: id, remoteAddress: this.remoteAddress(), remotePort: this.remotePort() });
  }

  /** Answers with `response` and closes, for a connection over the limit (nothing is parsed). */
  refuse(id: number, socket: Socket, response: string, reason: CloseReason): void {
    this.attach(id, socket, null);
    this.reader.close();
    socket.write(response, 'latin1');
    this.closeGracefully(reason);
  }

  /** Resets every per-socket field (the object comes from a free list) and listens to the socket. */
  private attach(id: number, socket: Socket, peer: ProxyAddress | null): void {
    this.id = id;
    this.hold(socket, peer);
    this.renewParts();
    this.writeState = WRITE_READY;
    this.requests = 0;
    this.bytesIn = 0;
    this.bytesOut = 0;
    this.reason = null;
    listen(socket, this);
    this.state = -1 as ConnState; // so that setState files it
    this.setState(ST_READING);
  }

  /** The server is shutting down: finish what is in flight with `Connection: close`, take nothing new. */
  shutdown(): void {
    this.ensureParts();
    if (this.closing) return;
    const inMessage = this.reader.inMessage;
    if (this.queue.exchanges.length === 0 && !inMessage) {
      this.closeGracefully('server-closing');
      return;
    }
    // Frame decisions read host.draining; a request still arriving may complete, then nothing more.
    if (!inMessage) this.reader.close();
  }

  /** Closes now if idle (closeIdleConnections). */
  closeIfIdle(): boolean {
    if (this.state !== ST_IDLE) return false;
    this.closeGracefully('server-closing');
    return true;
  }

  /** Ends our side after what is queued (FIN, never RST), then lingers reading and dropping input. */
  closeGracefully(reason: CloseReason): void {
    if (this.closing) return;
    this.ensureParts();
    this.writeState = WRITE_CLOSING;
    this.reason ??= reason;
    this.reader.close();
    this.deadlines.requestOff();
    this.deadlines.idleOff();
    this.queue.flush();
    // Whatever has not been answered by now never will be: abort it (signals fire, streams are cancelled).
    this.responder.abandon(new ConnectionClosedError(this.reason, true));
    const socket = this.socket;
    if (socket !== null) {
      // The linger starts when our FIN actually leaves, after every queued byte: a large response to a slow
      // reader takes as long as it takes (a reader that stops is the write-stall deadline's business).
      socket.end(() => this.lingerFrom(socket));
      // The FIN waits behind what the kernel has not taken yet. A reader that never reads would hold this
      // connection open forever, even after a write that never blocked: the write-stall deadline bounds it.
      if (socket.writableLength > 0 && !this.deadlines.writeArmed) this.deadlines.writeStall(socket.writableLength);
      // Keep reading so that unread input does not turn the close into a reset.
      this.reader.unpauseForClose();
    }
    this.setState(ST_CLOSING);
  }

  /** Our FIN has left on `socket`: give the client closeLinger to close its side, then let go. */
  private lingerFrom(socket: Socket): void {
    if (this.socket !== socket || this.gone) return; // a late callback (this object may serve a new socket now)
    this.deadlines.writeOff(); // everything is written
    this.deadlines.linger();
  }

  /** Closes at once (RST if data is unread): for failures and expired deadlines. */
  destroy(reason: CloseReason): void {
    if (this.gone) return;
    this.reason ??= reason;
    this.socket?.destroy();
  }

  /** A streamed body failed after its head: reset (a FIN would make a close-delimited body look complete).
   * The reset waits one turn of the loop for the last write in flight (else it degrades to a FIN). */
  resetAfterFailedStream(error: Error): void {
    this.reason ??= 'error';
    this.reader.close();
    this.responder.abandon(error);
    const socket = this.socket;
    if (socket !== null) setImmediate(() => socket.resetAndDestroy());
  }

  /** A response's last byte is queued: keep the connection for the next request, or close it. */
  responseDone(ex: Exchange): void {
    if (ex.closeAfter) {
      if (!ex.requestComplete) this.reader.reading = null;
      this.closeGracefully(ex.closeReason);
      return;
    }
    const reader = this.reader;
    if (reader.state === READ_CLOSED && this.queue.exchanges.length === 0 && !reader.inMessage) {
      this.closeGracefully(this.reason ?? 'client-closed');
      return;
    }
    if (reader.paused !== 0) reader.maybeResume();
    this.updateStateOutsideParse();
  }

  // ---- deadlines (armed by this.deadlines, fired by the pool's sweep: connection-deadlines.ts) ------------

  /** A request was read whole: its deadlines stop, and a response held back for it may go. */
  messageEnded(): void {
    this.deadlines.requestOff();
    this.queue.pump();
  }

  /** Idle for a while: the parser goes back to the free list, and the parts go (the next request makes them
   * anew), unless one of them still holds or awaits something. */
  parked(): void {
    const reader = this.reader;
    if (this.state !== ST_IDLE || !this.awake || !reader.vacant || !this.queue.vacant || this.deadlines.writeArmed) return;
    const parser = reader.releaseParser();
    if (parser !== null) this.host.returnParser(parser);
    this.deadlines.drop();
    this.dropParts();
  }

  writesBlocked(): void {
    if (this.writeState === WRITE_READY) this.writeState = WRITE_BLOCKED;
    if (this.socket !== null) this.deadlines.writeStall(this.socket.writableLength);
    this.updateState();
  }

  writesDrained(): void {
    if (this.writeState === WRITE_BLOCKED) this.writeState = WRITE_READY;
    this.deadlines.writeOff();
  }

  // ---- socket events ------------------------------------------------------------------------------------

  /** Socket events (connection-events.ts routes them here). */
  received(chunk: Buffer): void {
    this.ensureParts();
    this.bytesIn += chunk.length;
    this.host.counters.bytesIn += chunk.length;
    const wasIdle = this.state === ST_IDLE;
    const requests = this.requests;
    this.reader.read(chunk);
    if (wasIdle && this.state === ST_IDLE) {
      // Empty lines between requests start nothing: the connection stays idle and its deadline runs on (the
      // parser they took is given back later).
      if (this.requests === requests && !this.reader.inMessage) {
        this.deadlines.idle(true, this.now());
        return;
      }
      this.setState(ST_READING); // a request came: leave idle (its deadline stops; re-armed when idle again)
    }
    this.updateState();
  }

  ended(): void {
    this.ensureParts();
    // The client will send nothing more. Usually it is gone (node:http treats it so too); with
    // allowHalfOpen it may still be reading, and what it asked for is answered before we close.
    const inMessage = this.reader.inMessage;
    this.reader.close();
    if (this.closing) return;
    if (!this.host.config.allowHalfOpen) {
      this.closeGracefully('client-closed');
      return;
    }
    if (inMessage) {
      // The request in progress can never complete: it is answered 400 after those before it, then we close.
      this.responder.protocolError(new BadRequestError('the client ended its side in the middle of a request', 'H1W_INCOMPLETE_REQUEST'), 'client-closed');
      return;
    }
    if (this.queue.exchanges.length === 0) this.closeGracefully('client-closed');
  }

  failed(error: NodeJS.ErrnoException): void {
    this.ensureParts();
    const code = error.code;
    this.reason ??= code === 'ECONNRESET' || code === 'EPIPE' ? 'client-closed' : 'error';
    if (this.reason === 'error') this.responder.report(null, error);
  }

  drained(): void {
    this.ensureParts();
    this.queue.onDrain();
    this.updateState();
  }

  closed(): void {
    this.ensureParts();
    if (this.gone) return;
    this.writeState = WRITE_CLOSED;
    const reason = this.reason ?? 'client-closed';
    this.reason = reason;
    this.responder.abandon(new ConnectionClosedError(reason, false));
    this.deadlines.allOff();
    this.unlink();
    if (this.socket !== null) this.detach(this.socket);
    this.reader.close();
    this.reader.reading = null;
    const obs = this.host.observer;
    if (obs.close.on) {
      obs.emit('close', { connection: this.id, reason, requests: this.requests, bytesIn: this.bytesIn, bytesOut: this.bytesOut });
    }
    this.host.released(this, reason);
  }

  /** An accepted upgrade's turn came (every response before it is in the socket): the socket goes, once this
   * parse has ended and every byte past the head is held (upgrade.ts). */
  handOff(accept: UpgradeCallback): void {
    if (this.socket !== null) process.nextTick(handOff, this, this.socket, accept);
  }

  /** Forgets the socket, and takes every listener of ours off it. */
  detach(socket: Socket): void {
    unlisten(socket);
    this.socket = null;
  }

  // ---- state registry -----------------------------------------------------------------------------------

  /** Re-files the connection unless a parse is running (parse ends with an update of its own). */
  updateStateOutsideParse(): void {
    if (!this.reader.parsing) this.updateState();
  }

  updateState(): void {
    if (this.closing) return;
    const exchanges = this.queue.exchanges;
    const f = SIDES;
    f.write = this.writeState;
    f.sending = exchanges.length > 0 && (exchanges[0] as Exchange).state === EX_SENDING;
    f.inBody = this.reader.inBody;
    f.inHead = this.reader.inMessage || this.requests === 0;
    f.inFlight = exchanges.length;
    const state = connState(f);
    if (state !== this.state) this.setState(state);
  }

  private setState(state: ConnState): void {
    const previous = this.state;
    this.state = state;
    const host = this.host;
    if (state === ST_IDLE) {
      const t = this.now();
      host.idleDeadlines.enter(this, t); // the idle state list: entering it arms the idle deadline
      this.deadlines.idle(this.reader.parser !== null, t);
      const obs = host.observer;
      if (obs.idle.on) obs.emit('idle', { connection: this.id, requests: this.requests });
    } else {
      (host.states[state] as LinkedList<Connection>).append(this);
      if (previous === ST_IDLE) this.deadlines.idleOff();
    }
  }
}
