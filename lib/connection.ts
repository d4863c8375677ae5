// One socket, driven through the stages. The Connection is the single owner of everything per socket: the
// parser, the exchanges in flight, the write queue, the read/write pauses and the deadlines. Nothing is
// stashed on the socket; connection objects are reused from the pool's free list.
//
// Read side:  'data' → parser → heads, body chunks, ends → exchanges (dispatched in order, at most
//             maxPipelineDepth unanswered) → handler.
// Write side: handler outcome → serialize → (its turn, and its request read or clearly streaming) → frame →
//             write queue → socket. A response is done when its last byte is queued; then the connection is
//             kept (idle) or closed (FIN, then a short linger that reads and drops, then destroy).
import type { Socket } from 'node:net';
import type { ServerConfig } from './config.js';
import {
  BadRequestError,
  ContentTooLargeError,
  ExpectationFailedError,
  HttpError,
  RequestTimeoutError,
  StreamAbortedError,
  toHttpError,
} from './errors.js';
import {
  CONTINUE_DUE,
  CONTINUE_WANTED,
  EX_DONE,
  EX_HANDLING,
  EX_READY,
  EX_SENDING,
  Exchange,
  type ExchangeOwner,
} from './exchange.js';
import { BODY_WHOLE, buildHead, chooseFraming, FRAME_CLOSE } from './frame.js';
import { invoke, type Handler } from './handle.js';
import { DeadlineList, Link, type LinkedList } from './links.js';
import { PARSE_ERROR, PARSE_PAUSED, type ParserEvents, type RequestHead, type RequestParser } from './parser.js';
import { Request, type RequestOrigin } from './request.js';
import { RequestBody } from './request-body.js';
import { discardValue, serializeError, serializeValue } from './serialize.js';
import type { CloseReason, Observer } from './stages.js';
import { WriteQueue, type QueueOwner, type WriteSink } from './write-queue.js';

/** Connection states, as the pool counts them. */
export const ST_READING = 0; // waiting for or reading a request head
export const ST_BODY = 1; // reading a request body
export const ST_HANDLING = 2; // requests in flight, nothing being written
export const ST_WRITING = 3; // a response is being written (streaming, or waiting for 'drain')
export const ST_IDLE = 4; // kept alive between requests
export const ST_CLOSING = 5; // our FIN is sent (or due); lingering until the socket closes
export const STATE_NAMES = ['reading', 'body', 'handling', 'writing', 'idle', 'closing'] as const;
export type StateName = (typeof STATE_NAMES)[number];

/** Reasons reading is paused (bits). */
const PAUSE_PIPELINE = 1; // maxPipelineDepth unanswered requests
const PAUSE_BODY = 2; // the handler has not read the buffered body
const PAUSE_WRITE = 4; // the socket is not taking our writes

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
}

export class Counters {
  requests = 0;
  responses = 0;
  bytesIn = 0;
  bytesOut = 0;
}

export class Connection implements ParserEvents, WriteSink, QueueOwner, ExchangeOwner, RequestOrigin {
  id = 0;
  state = ST_READING;
  readonly stateLink = new Link<Connection>(this);
  readonly headersLink = new Link<Connection>(this);
  readonly requestLink = new Link<Connection>(this);
  readonly idleLink = new Link<Connection>(this);
  // Made on first use: most connections never block a write, and only closing ones linger.
  private writeLink: Link<Connection> | null = null;
  private lingerLink: Link<Connection> | null = null;
  readonly parkLink = new Link<Connection>(this);

  /** Requests started on this connection. */
  requests = 0;
  bytesIn = 0;
  bytesOut = 0;

  private host: ConnectionHost;
  private socket: Socket | null = null;
  private parser: RequestParser | null = null;
  private queue: WriteQueue;

  private reading: Exchange | null = null; // the exchange whose request body is being parsed
  private paused = 0; // PAUSE_* bits
  private unparsed: Buffer | null = null; // input held back while paused
  private parsing = false;
  private resumeScheduled = false;
  private readClosed = false; // no further request will be parsed
  private stopAfterMessage = false; // the request being read is the last one
  private closing = false;
  private closed = false;
  private reason: CloseReason | null = null;
  private blockedAt = 0; // when writes blocked (for the drain event)
  private stallMark = 0; // writableLength when the write-stall deadline was armed
  private addressCache: string | null = null;
  private portCache = 0;

  constructor(host: ConnectionHost) {
    this.host = host;
    this.queue = new WriteQueue(this, this, host.config.highWaterMark);
  }

  private now(): number {
    return this.host.config.clock();
  }

  // ---- life cycle ---------------------------------------------------------------------------------------

  /** Takes a new socket (the object may be a reused one). The parser comes with the first byte. */
  open(id: number, socket: Socket): void {
    this.attach(id, socket);
    socket.setNoDelay(true);
    socket.on('drain', this.onDrain);
    // A new connection has headersTimeout to send its first head (node:http does the same).
    this.host.headersDeadlines.arm(this.headersLink, this.now());
    const obs = this.host.observer;
    if (obs.accept.on) obs.emit('accept', { connection: id, remoteAddress: this.remoteAddress(), remotePort: this.remotePort() });
  }

  /** Answers with `response` and closes, for a connection over the limit (nothing is parsed). */
  refuse(id: number, socket: Socket, response: string, reason: CloseReason): void {
    this.attach(id, socket);
    this.readClosed = true;
    socket.write(response, 'latin1');
    this.closeGracefully(reason);
  }

  /** Resets every per-socket field (the object comes from a free list) and listens to the socket. */
  private attach(id: number, socket: Socket): void {
    this.id = id;
    this.socket = socket;
    this.parser = null;
    this.queue = new WriteQueue(this, this, this.host.config.highWaterMark);
    this.requests = 0;
    this.bytesIn = 0;
    this.bytesOut = 0;
    this.reading = null;
    this.paused = 0;
    this.unparsed = null;
    this.parsing = false;
    this.resumeScheduled = false;
    this.readClosed = false;
    this.stopAfterMessage = false;
    this.closing = false;
    this.closed = false;
    this.reason = null;
    this.addressCache = null;
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
    this.state = -1;
    this.setState(ST_READING);
  }

  /** The server is shutting down: finish what is in flight with `Connection: close`, take nothing new. */
  drain(): void {
    if (this.closing || this.closed) return;
    const parser = this.parser;
    const busy = this.queue.exchanges.length > 0 || (parser !== null && parser.inMessage);
    if (!busy) {
      this.closeGracefully('server-closing');
      return;
    }
    // Frame decisions read host.draining; a request still arriving may complete, then nothing more.
    if (parser === null || !parser.inMessage) this.readClosed = true;
  }

  /** Closes now if idle (closeIdleConnections). */
  closeIfIdle(): boolean {
    if (this.state !== ST_IDLE) return false;
    this.closeGracefully('server-closing');
    return true;
  }

  /** Ends our side after what is queued (FIN, never RST), then lingers reading and dropping input. */
  closeGracefully(reason: CloseReason): void {
    if (this.closing || this.closed) return;
    this.closing = true;
    this.reason ??= reason;
    this.readClosed = true;
    this.unparsed = null;
    this.headersLink.unlink();
    this.requestLink.unlink();
    this.idleLink.unlink();
    this.queue.flush();
    // Whatever has not been answered by now never will be: abort it (signals fire, streams are cancelled).
    this.abandon(new Error(`connection closing (${this.reason})`));
    const socket = this.socket;
    if (socket !== null) {
      // The linger starts when our FIN actually leaves, after every queued byte: a large response to a slow
      // reader takes as long as it takes (a reader that stops is the write-stall deadline's business).
      socket.end(() => this.lingerFrom(socket));
      // The FIN waits behind what the kernel has not taken yet. A reader that never reads would hold this
      // connection open forever, even after a write that never blocked: the write-stall deadline bounds it.
      if (socket.writableLength > 0 && !(this.writeLink?.linked ?? false)) this.armWriteStall(socket);
      // Keep reading so that unread input does not turn the close into a reset.
      if (this.paused !== 0) {
        this.paused = 0;
        socket.resume();
      }
    }
    this.setState(ST_CLOSING);
  }

  /** Our FIN has left on `socket`: give the client closeLinger to close its side, then let go. */
  private lingerFrom(socket: Socket): void {
    if (this.socket !== socket || this.closed) return; // a late callback (this object may serve a new socket now)
    this.writeLink?.unlink(); // everything is written
    this.host.lingerDeadlines.arm((this.lingerLink ??= new Link<Connection>(this)), this.now());
  }

  /** Closes at once (RST if data is unread): for failures and expired deadlines. */
  destroy(reason: CloseReason): void {
    if (this.closed) return;
    this.reason ??= reason;
    this.socket?.destroy();
  }

  // ---- deadlines (called by the pool's sweep) -----------------------------------------------------------

  headersTimedOut(): void {
    const parser = this.parser;
    if (parser !== null && parser.inMessage) {
      this.protocolError(new RequestTimeoutError('the request head took too long', 'H1W_HEADERS_TIMEOUT'), 'headers-timeout');
    } else {
      this.closeGracefully('headers-timeout'); // never sent a byte of a request: nothing to answer
    }
  }

  requestTimedOut(): void {
    this.protocolError(new RequestTimeoutError('the request took too long', 'H1W_REQUEST_TIMEOUT'), 'request-timeout');
  }

  idleTimedOut(): void {
    this.closeGracefully('idle-timeout');
  }

  writeTimedOut(): void {
    const socket = this.socket;
    if (socket !== null && socket.writableLength < this.stallMark) {
      // Progress since the deadline was set: the reader is slow, not gone. Start over from here.
      if (socket.writableLength > 0 || this.queue.blocked) this.armWriteStall(socket);
      return;
    }
    this.destroy('write-stalled');
  }

  /** Idle for a while: the parser holds nothing between requests, so it goes back to the free list. */
  parked(): void {
    const parser = this.parser;
    if (parser === null || parser.inMessage || this.unparsed !== null || this.state !== ST_IDLE) return;
    this.parser = null;
    parser.unbind();
    this.host.returnParser(parser);
    this.queue.compact();
  }

  lingerTimedOut(): void {
    this.destroy(this.reason ?? 'client-closed');
  }

  // ---- socket events ------------------------------------------------------------------------------------

  private readonly onData = (chunk: Buffer): void => {
    this.bytesIn += chunk.length;
    this.host.counters.bytesIn += chunk.length;
    if (this.readClosed) return; // closing or done: read and drop
    if (this.unparsed !== null) {
      // Bytes that were already on their way when reading paused.
      this.unparsed = Buffer.concat([this.unparsed, chunk]);
      return;
    }
    const wasIdle = this.state === ST_IDLE;
    const requests = this.requests;
    this.takeParser();
    this.queue.beginBatch();
    this.parse(chunk);
    this.queue.endBatch();
    if (wasIdle && this.state === ST_IDLE) {
      // Empty lines between requests start nothing: the connection stays idle and its deadline runs on.
      if (this.requests === requests && !(this.parser?.inMessage ?? false)) return;
      this.setState(ST_READING); // a request came: leave idle (its deadline stops; re-armed when idle again)
    }
    this.updateState();
  };

  private readonly onEnd = (): void => {
    // The client will send nothing more. Usually it is gone (node:http treats it so too); with
    // allowHalfOpen it may still be reading, and what it asked for is answered before we close.
    this.readClosed = true;
    const parser = this.parser;
    if (this.closing || this.closed) return;
    if (!this.host.config.allowHalfOpen) {
      this.closeGracefully('client-closed');
      return;
    }
    if (parser !== null && parser.inMessage) {
      // The request in progress can never complete: it is answered 400 after those before it, then we close.
      this.protocolError(new BadRequestError('the client ended its side in the middle of a request', 'H1W_INCOMPLETE_REQUEST'), 'client-closed');
      return;
    }
    if (this.queue.exchanges.length === 0) this.closeGracefully('client-closed');
  };

  private readonly onError = (error: NodeJS.ErrnoException): void => {
    const code = error.code;
    this.reason ??= code === 'ECONNRESET' || code === 'EPIPE' ? 'client-closed' : 'error';
    if (this.reason === 'error') this.report(null, error);
  };

  private readonly onDrain = (): void => {
    this.queue.onDrain();
    this.updateState();
  };

  private readonly onClose = (): void => {
    if (this.closed) return;
    this.closed = true;
    const reason = this.reason ?? 'client-closed';
    this.reason = reason;
    this.abandon(new Error(`connection closed (${reason})`));
    this.headersLink.unlink();
    this.requestLink.unlink();
    this.idleLink.unlink();
    this.writeLink?.unlink();
    this.lingerLink?.unlink();
    this.parkLink.unlink();
    this.stateLink.unlink();
    const socket = this.socket;
    if (socket !== null) {
      socket.off('data', this.onData);
      socket.off('end', this.onEnd);
      socket.off('error', this.onError);
      socket.off('close', this.onClose);
      socket.off('drain', this.onDrain);
    }
    this.socket = null;
    this.unparsed = null;
    this.reading = null;
    const obs = this.host.observer;
    if (obs.close.on) {
      obs.emit('close', { connection: this.id, reason, requests: this.requests, bytesIn: this.bytesIn, bytesOut: this.bytesOut });
    }
    this.host.released(this, reason);
  };

  /** Hands the parser back (to the pool's free list) once the socket is gone. */
  releaseParser(): RequestParser | null {
    const parser = this.parser;
    this.parser = null;
    parser?.unbind();
    return parser;
  }

  private takeParser(): void {
    if (this.parser !== null) return;
    const parser = this.host.takeParser();
    parser.bind(this);
    this.parser = parser;
  }

  // ---- parse --------------------------------------------------------------------------------------------

  /** How many more messages the parser may complete before it pauses. */
  private budget(): number {
    const config = this.host.config;
    let budget = config.maxPipelineDepth - this.queue.exchanges.length;
    const max = config.maxRequestsPerConnection;
    if (max > 0 && max - this.requests < budget) budget = max - this.requests;
    return budget;
  }

  private parse(chunk: Buffer): void {
    const parser = this.parser;
    if (parser === null) return;
    if (!parser.inMessage && !this.requestLink.linked) this.startMessage();
    this.parsing = true;
    let from = 0;
    for (;;) {
      if (this.budget() <= 0 || this.queue.blocked) {
        this.holdInput(chunk, from);
        break;
      }
      const status = parser.execute(chunk, from, this.budget());
      if (this.closed) break;
      if (status === PARSE_ERROR) {
        this.protocolError(parser.error as HttpError, 'protocol-error');
        break;
      }
      if (status === PARSE_PAUSED) {
        if (this.readClosed) break; // after the last request, whatever follows is dropped
        from = parser.offset;
        if (from < chunk.length) continue; // the loop re-checks the budget (handlers may have finished)
      }
      break;
    }
    this.parsing = false;
    if (this.closed) return;
    if (!parser.inMessage) {
      // A new connection that sent only empty lines is still waiting for its first head: keep that deadline.
      if (this.requests > 0) this.headersLink.unlink();
      this.requestLink.unlink();
    } else {
      if (!this.requestLink.linked) this.startMessage();
      if (parser.inBody) this.headersLink.unlink();
    }
    if (this.reading?.body?.full === true) {
      this.pause(PAUSE_BODY);
      // Its body passed the high-water mark unread: a response that was waiting for the request may go now
      // (see releasable), or a handler that answers without reading would wait for a body we stopped reading.
      this.queue.pump();
    }
  }

  private startMessage(): void {
    const t = this.now();
    if (!this.headersLink.linked) this.host.headersDeadlines.arm(this.headersLink, t);
    this.host.requestDeadlines.arm(this.requestLink, t);
  }

  private holdInput(chunk: Buffer, from: number): void {
    if (from < chunk.length) this.unparsed = from === 0 ? chunk : chunk.subarray(from);
    this.pause(PAUSE_PIPELINE);
  }

  private pause(bit: number): void {
    if (this.paused === 0) this.socket?.pause();
    this.paused |= bit;
  }

  /** Clears pause reasons that no longer hold, and resumes reading (on the next tick) if none is left. */
  private maybeResume(): void {
    if (this.paused === 0 || this.resumeScheduled || this.closed) return;
    this.resumeScheduled = true;
    process.nextTick(resumeConnection, this);
  }

  /** @internal (resumeConnection) */
  resumeNow(): void {
    this.resumeScheduled = false;
    if (this.closed || this.closing || this.parsing) return;
    let paused = this.paused;
    if (paused & PAUSE_WRITE && !this.queue.blocked) paused &= ~PAUSE_WRITE;
    if (paused & PAUSE_BODY && this.reading?.body?.full !== true) paused &= ~PAUSE_BODY;
    if (paused & PAUSE_PIPELINE && this.budget() > 0 && !this.queue.blocked) paused &= ~PAUSE_PIPELINE;
    this.paused = paused;
    if (paused !== 0) return;
    const held = this.unparsed;
    this.unparsed = null;
    if (held !== null && !this.readClosed) {
      this.takeParser();
      this.queue.beginBatch();
      this.parse(held);
      this.queue.endBatch();
    }
    if (this.paused === 0 && !this.closed) this.socket?.resume();
    this.updateState();
  }

  // ---- parser events ------------------------------------------------------------------------------------

  onHead(head: RequestHead): void {
    if (this.readClosed) return;
    const host = this.host;
    const config = host.config;
    const hasBody = head.chunked || head.contentLength > 0;
    const http11 = head.versionMinor >= 1;
    const ex = new Exchange(this, head.method === 'HEAD', http11, head.keepAlive, head.contentLength, !hasBody);
    this.requests++;
    host.counters.requests++;
    if (hasBody) {
      ex.body = new RequestBody(ex, config.highWaterMark);
      this.reading = ex;
    }
    const req = new Request(head, this, this.requests, ex.body);
    ex.request = req;
    const obs = host.observer;
    if (obs.timings()) {
      ex.tStart = this.now();
      req.timings = { start: ex.tStart, parse: 0, handle: 0, serialize: 0, frame: 0, write: 0 };
    }
    if (!head.keepAlive) ex.closeWith('client-closed');
    const max = config.maxRequestsPerConnection;
    if (max > 0 && this.requests >= max) ex.closeWith('max-requests');
    if (host.draining) ex.closeWith('server-closing');
    if (ex.closeAfter) this.stopAfterMessage = true;
    if (head.expectContinue && hasBody) ex.continueState = config.continueAtOnce ? CONTINUE_DUE : CONTINUE_WANTED;
    this.queue.enqueue(ex);
    if (ex.continueState === CONTINUE_DUE) this.queue.pump(); // sent now if this exchange is at the front
    if (obs.parse.on) obs.emit('parse', { request: req, head: headText(head) });
    if (config.bodyLimit !== null && hasBody) {
      let limit: number;
      try {
        limit = config.bodyLimit(req);
      } catch (error) {
        this.report(req, error);
        limit = 0;
      }
      ex.bodyLimit = limit;
      if (head.contentLength > limit) {
        this.protocolError(new ContentTooLargeError(`request body larger than ${limit} bytes`), 'protocol-error');
        return;
      }
    }
    if (head.unknownExpectation !== null) {
      // RFC 9110 §10.1.1: 417; if a body may follow, the connection cannot be trusted to frame it.
      this.answerError(ex, new ExpectationFailedError(`cannot meet the expectation "${head.unknownExpectation}"`, hasBody));
      return;
    }
    ex.tDispatch = ex.tStart === 0 ? 0 : this.now();
    invoke(host.handler, req, ex);
  }

  onBody(chunk: Buffer): void {
    const ex = this.reading;
    if (ex === null || ex.body === null) return;
    ex.body.push(chunk);
    if (ex.body.received > ex.bodyLimit) {
      this.protocolError(new ContentTooLargeError(`request body larger than ${ex.bodyLimit} bytes`), 'protocol-error');
      return;
    }
  }

  onMessageEnd(trailers: string[] | null): void {
    // After the last request (Connection: close, the request limit, shutdown) the rest of the input is dropped.
    if (this.stopAfterMessage) this.readClosed = true;
    const ex = this.reading;
    if (ex !== null) {
      this.reading = null;
      ex.requestComplete = true;
      ex.body?.end(trailers);
    }
    this.headersLink.unlink();
    this.requestLink.unlink();
    this.queue.pump(); // a held response may go now
  }


  // ---- handle → serialize -------------------------------------------------------------------------------

  settled(ex: Exchange, value: unknown): void {
    if (ex.state !== EX_HANDLING || ex.aborted) {
      // Already answered (a protocol error or a timeout won), or the client left: never sent.
      discardValue(value);
      return;
    }
    const obs = this.host.observer;
    let t = 0;
    if (ex.tStart !== 0) {
      t = this.now();
      ex.tSettled = t;
    }
    const req = ex.request as Request;
    if (obs.handle.on) obs.emit('handle', { request: req, durationMs: t - ex.tDispatch, error: null });
    const ctx = this.host.config.serialize;
    try {
      const accept = ctx.serializers.length > 1 || ctx.strictAccept ? req.header('accept') : undefined;
      ex.response = serializeValue(value, accept, ctx, ex.isHead);
    } catch (error) {
      this.answerError(ex, toHttpError(error), error);
      return;
    }
    if (t !== 0) ex.tSerialized = this.now();
    if (obs.serialize.on) {
      const res = ex.response;
      obs.emit('serialize', { request: req, serializer: res.serializer, bytes: res.kind === BODY_WHOLE ? res.byteLength : -1, durationMs: ex.tSerialized - t });
    }
    ex.state = EX_READY;
    this.queue.pump();
    if (!this.parsing) this.updateState();
  }

  failed(ex: Exchange, error: unknown): void {
    if (ex.state !== EX_HANDLING || ex.aborted) return;
    const obs = this.host.observer;
    if (ex.tStart !== 0) ex.tSettled = this.now();
    if (obs.handle.on) obs.emit('handle', { request: ex.request as Request, durationMs: ex.tSettled - ex.tDispatch, error });
    this.answerError(ex, toHttpError(error), error);
  }

  /** Makes `ex` answer with `error` (replacing whatever it was going to send, if nothing was sent yet). */
  private answerError(ex: Exchange, error: HttpError, cause: unknown = error): void {
    this.report(ex.request, cause);
    ex.cancelSource(error);
    ex.error = error;
    ex.response = serializeError(error);
    if (error.closesConnection) ex.closeWith('protocol-error');
    if (ex.tStart !== 0) ex.tSerialized = this.now();
    ex.state = EX_READY;
    this.queue.pump();
    if (!this.parsing) this.updateState();
  }

  private report(request: Request | null, error: unknown): void {
    const obs = this.host.observer;
    if (obs.error.on) obs.emit('error', { connection: this.id, request, error });
  }

  /** A request could not be read (malformed, too large, too slow). Requests before it are still answered. */
  private protocolError(error: HttpError, reason: CloseReason): void {
    this.readClosed = true;
    this.unparsed = null;
    this.headersLink.unlink();
    this.requestLink.unlink();
    const ex = this.reading;
    this.reading = null;
    if (ex !== null && ex.state !== EX_DONE) {
      ex.body?.fail(error);
      if (ex.state === EX_SENDING) {
        this.destroy(reason); // its response is half sent: it cannot become a 4xx any more
        return;
      }
      ex.requestComplete = true;
      ex.closeWith(reason);
      this.answerError(ex, error);
      return;
    }
    if (ex !== null) {
      // That request was answered already; its unread body turned out malformed. Nothing more can be said.
      this.closeGracefully(reason);
      return;
    }
    // Garbage (or silence) where a head should be: an answer of its own, after those in flight.
    const errorExchange = new Exchange(this, this.parser?.method === 'HEAD', true, false, -1, true);
    errorExchange.closeWith(reason);
    this.queue.enqueue(errorExchange);
    this.answerError(errorExchange, error);
  }

  /** Aborts every exchange not yet answered, cancels streams, and stops the write queue for good. */
  private abandon(error: Error): void {
    for (const ex of this.queue.exchanges) if (ex.state !== EX_DONE) ex.request?.abortWith(error);
    this.failReading(error);
    this.queue.close(error);
  }

  private failReading(error: Error): void {
    const ex = this.reading;
    if (ex !== null) {
      this.reading = null;
      ex.body?.fail(error);
    }
  }

  // ---- 100 Continue and body backpressure ---------------------------------------------------------------

  bodyRequested(ex: Exchange): void {
    if (ex.continueState === CONTINUE_WANTED && !ex.requestComplete && ex.state !== EX_DONE) {
      ex.continueState = CONTINUE_DUE;
      this.queue.pump();
    }
  }

  bodyDrained(ex: Exchange): void {
    if (ex === this.reading && this.paused & PAUSE_BODY) this.maybeResume();
  }

  // ---- QueueOwner: release, frame, done -----------------------------------------------------------------

  /**
   * A response goes out once its request has been read whole. That way no 2xx ever precedes a request that
   * turns out malformed (a bad chunk, an oversized extension): the error replaces it. Exceptions: a client
   * waiting for `100 Continue` we never sent gets the answer now (and the connection closes), and a request
   * whose body passed the high-water mark is clearly being streamed, so its response may start.
   */
  releasable(ex: Exchange): boolean {
    if (ex.requestComplete) return true;
    const body = ex.body;
    if (body === null) return true;
    if (ex.continueState === CONTINUE_WANTED) {
      ex.closeWith('client-closed');
      return true;
    }
    return body.received >= this.host.config.highWaterMark;
  }

  frame(ex: Exchange): void {
    const res = ex.response;
    if (res === null) return;
    const host = this.host;
    const config = host.config;
    const framing = chooseFraming(res.status, res.kind, res.declaredLength, ex.http11);
    if (!ex.keepAlive) ex.closeWith('client-closed');
    if (res.headers.close) ex.closeWith('client-closed');
    if (framing === FRAME_CLOSE && !ex.isHead) ex.closeWith('client-closed');
    if (host.draining) ex.closeWith('server-closing');
    if (!ex.requestComplete && ex.body !== null && !ex.body.used && this.remainingBody(ex) > config.maxDiscardSize) {
      // Answered before its body was read, by a handler that does not read it: too much to skip, so close.
      ex.closeWith('client-closed');
    }
    let extra = '';
    if (config.serverTiming && ex.tStart !== 0) {
      extra = `Server-Timing: handle;dur=${(ex.tSettled - ex.tDispatch).toFixed(3)}, serialize;dur=${(ex.tSerialized - ex.tSettled).toFixed(3)}\r\n`;
    }
    const length = res.kind === BODY_WHOLE && res.declaredLength < 0 ? res.byteLength : res.declaredLength;
    ex.framing = framing;
    ex.head = buildHead(res.status, res.headers, res.contentType, framing, length, ex.closeAfter ? config.lines.close : config.lines.keepAlive, extra);
    if (ex.tStart !== 0) ex.tFramed = this.now();
    // Nothing after this request will be read; the rest of its own body still is (a streaming echo needs it).
    if (ex.closeAfter) {
      if (ex.requestComplete) this.readClosed = true;
      else this.stopAfterMessage = true;
    }
    const obs = host.observer;
    if (obs.frame.on) {
      obs.emit('frame', { request: ex.request, status: res.status, head: ex.head, framing: FRAMING_NAMES[framing] as 'none' });
    }
  }

  responseDone(ex: Exchange): void {
    const host = this.host;
    host.counters.responses++;
    const req = ex.request;
    if (req !== null && req.timings !== null) {
      const t = req.timings;
      const end = this.now();
      t.parse = ex.tDispatch - ex.tStart;
      t.handle = ex.tSettled - ex.tDispatch;
      t.serialize = ex.tSerialized - ex.tSettled;
      t.frame = ex.tFramed - ex.tSerialized;
      t.write = end - ex.tFramed;
    }
    const obs = host.observer;
    if (obs.finish.on) {
      obs.emit('finish', {
        request: req,
        status: ex.response?.status ?? 0,
        bodyBytes: ex.bodyBytes,
        keepAlive: !ex.closeAfter,
        timings: req?.timings ?? null,
      });
    }
    if (!ex.requestComplete && ex.body !== null) {
      // Nobody reads the rest: drop it as it comes, or close if there is too much of it.
      ex.body.discard();
      if (this.remainingBody(ex) > host.config.maxDiscardSize) ex.closeWith('client-closed');
    }
    if (ex.closeAfter) {
      this.reading = ex.requestComplete ? this.reading : null;
      this.closeGracefully(ex.closeReason);
      return;
    }
    if (this.readClosed && this.queue.exchanges.length === 0 && !(this.parser?.inMessage ?? false)) {
      this.closeGracefully(this.reason ?? 'client-closed');
      return;
    }
    if (this.paused !== 0) this.maybeResume();
    if (!this.parsing) this.updateState();
  }

  failedBeforeHead(ex: Exchange, error: unknown): void {
    // Nothing of this response was written: answer 500 instead, and the connection may live on.
    const res = ex.response;
    const code = res !== null && res.serializer === 'stream' ? 'H1W_STREAM_FAILED' : 'H1W_SERIALIZE_FAILED';
    const failure =
      error instanceof HttpError ? error : new HttpError(500, `the body of the response failed before its first byte`, { code, cause: error });
    ex.state = EX_HANDLING;
    this.answerError(ex, failure, error);
  }

  streamFailed(ex: Exchange, error: unknown): void {
    this.report(ex.request, error instanceof StreamAbortedError ? error : new StreamAbortedError('stream failed', 'H1W_STREAM_FAILED', error));
    // A reset, not a FIN: a close-delimited body (HTTP/1.0) would otherwise look complete. Nothing more is
    // written; the reset waits one turn of the loop for the last write in flight (else it degrades to a FIN).
    this.reason ??= 'error';
    this.readClosed = true;
    ex.state = EX_DONE; // it failed on its own; the requests behind it are the ones abandoned
    this.abandon(error instanceof Error ? error : new Error('the streamed body failed'));
    const socket = this.socket;
    if (socket !== null) setImmediate(() => socket.resetAndDestroy());
  }

  /** Body bytes of `ex`'s request still to come (Infinity when chunked). */
  private remainingBody(ex: Exchange): number {
    if (ex.body === null) return 0;
    return ex.contentLength >= 0 ? ex.contentLength - ex.body.received : Infinity;
  }

  wrote(bytes: number, writes: number): void {
    this.bytesOut += bytes;
    this.host.counters.bytesOut += bytes;
    const obs = this.host.observer;
    if (obs.write.on) obs.emit('write', { connection: this.id, bytes, writes });
  }

  blocked(): void {
    this.pause(PAUSE_WRITE);
    this.blockedAt = this.now();
    if (this.socket !== null) this.armWriteStall(this.socket);
    this.setState(ST_WRITING);
  }

  /** Starts the write-stall deadline: it fires unless what `socket` buffers shrinks before it. */
  private armWriteStall(socket: Socket): void {
    this.stallMark = socket.writableLength;
    this.host.writeDeadlines.arm((this.writeLink ??= new Link<Connection>(this)), this.now());
  }

  drained(): void {
    this.writeLink?.unlink();
    const obs = this.host.observer;
    if (obs.drain.on) obs.emit('drain', { connection: this.id, waitedMs: this.now() - this.blockedAt });
    this.maybeResume();
  }

  // ---- WriteSink ----------------------------------------------------------------------------------------

  write(data: string | Uint8Array, encoding: BufferEncoding): boolean {
    const socket = this.socket;
    if (socket === null || socket.destroyed || socket.writableEnded) return true;
    return socket.write(data, encoding);
  }

  cork(): void {
    this.socket?.cork();
  }

  uncork(): void {
    this.socket?.uncork();
  }

  get writableLength(): number {
    return this.socket === null ? 0 : this.socket.writableLength;
  }

  // ---- RequestOrigin ------------------------------------------------------------------------------------

  remoteAddress(): string {
    if (this.addressCache === null) {
      this.addressCache = this.socket?.remoteAddress ?? '';
      this.portCache = this.socket?.remotePort ?? 0;
    }
    return this.addressCache;
  }

  remotePort(): number {
    this.remoteAddress();
    return this.portCache;
  }

  // ---- state registry -----------------------------------------------------------------------------------

  private updateState(): void {
    if (this.closed || this.closing) return;
    const exchanges = this.queue.exchanges;
    const parser = this.parser;
    let state: number;
    if (this.queue.blocked || (exchanges.length > 0 && (exchanges[0] as Exchange).state === EX_SENDING)) state = ST_WRITING;
    else if (this.reading !== null || (parser !== null && parser.inBody)) state = ST_BODY;
    else if (exchanges.length > 0) state = ST_HANDLING;
    else if ((parser !== null && parser.inMessage) || this.requests === 0) state = ST_READING;
    else state = ST_IDLE;
    if (state !== this.state) this.setState(state);
  }

  private setState(state: number): void {
    const previous = this.state;
    this.state = state;
    const host = this.host;
    (host.states[state] as LinkedList<Connection>).append(this.stateLink);
    if (state === ST_IDLE) {
      const t = this.now();
      host.idleDeadlines.arm(this.idleLink, t);
      if (this.parser !== null) host.parkDeadlines.arm(this.parkLink, t);
      const obs = host.observer;
      if (obs.idle.on) obs.emit('idle', { connection: this.id, requests: this.requests });
    } else if (previous === ST_IDLE) {
      this.idleLink.unlink();
      this.parkLink.unlink();
    }
  }
}

const FRAMING_NAMES = ['none', 'length', 'chunked', 'close'];

function resumeConnection(conn: Connection): void {
  conn.resumeNow();
}

/** The head as it came, for traces and the parse hook (rebuilt from the parsed pieces). */
function headText(head: RequestHead): string {
  let text = `${head.method} ${head.target} HTTP/${head.versionMajor}.${head.versionMinor}\r\n`;
  const raw = head.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) text += `${raw[i]}: ${raw[i + 1]}\r\n`;
  return text;
}
