// The answer side of a connection: a handler's outcome is serialized, waits for its turn and its request,
// is framed (the keep-or-close decision comes from keep-alive.ts, once, here), and is written by the queue.
// Failures become answers while nothing of the response is sent, and cut the connection after.
import { BodyDiscardedError, HttpError, StreamAbortedError, toHttpError } from './errors.js';
import { CONTINUE_DUE, CONTINUE_WANTED, EX_DONE, EX_HANDLING, EX_READY, EX_SENDING, Exchange, type ExchangeOwner } from './exchange.js';
import { BODY_WHOLE, buildHead, chooseFraming, FRAME_CLOSE, FRAMING_NAMES } from './frame.js';
import { closeAfterResponse, release, RELEASE_AND_CLOSE, RELEASE_WAIT, remainingBody, unreadAtFrame, type ReleaseFacts, type ResponseFacts, type UnreadFacts } from './keep-alive.js';
import { PAUSE_BODY, PAUSE_WRITE } from './reader.js';
import type { Request } from './request.js';
import type { RequestBody } from './request-body.js';
import { discardValue, serializeError, serializeValue } from './serialize.js';
import type { CloseReason } from './stages.js';
import type { QueueOwner } from './write-queue.js';
import type { Connection } from './connection.js';
import { notUpgradable, Upgrade, type UpgradeCallback } from './upgrade.js';

// Facts for the keep-alive decisions, filled in place: no object per response on the hot path, and one for all
// connections (each is read by a pure function at once and never kept).
const RELEASE_FACTS: ReleaseFacts = { requestComplete: false, hasBody: false, continueWanted: false, received: 0, highWaterMark: 0 };
const UNREAD_FACTS: UnreadFacts = { requestComplete: false, hasBody: false, reading: false, cancelled: false, wholeResponse: false, contentLength: -1, received: 0 };
const RESPONSE_FACTS: ResponseFacts = {
  keepAlive: true,
  responseCloses: false,
  closeDelimited: false,
  isHead: false,
  shuttingDown: false,
  unreadBody: 0,
  maxDiscard: 0,
};

function unreadFacts(ex: Exchange, body: RequestBody, wholeResponse: boolean): UnreadFacts {
  const u = UNREAD_FACTS;
  u.requestComplete = ex.requestComplete;
  u.hasBody = true;
  u.reading = body.used;
  u.cancelled = body.discarded;
  u.wholeResponse = wholeResponse;
  u.contentLength = ex.contentLength;
  u.received = body.received;
  return u;
}

export class Responder implements ExchangeOwner, QueueOwner {
  private readonly conn: Connection;
  private blockedAt = 0; // when writes blocked (for the drain event)

  constructor(conn: Connection) {
    this.conn = conn;
  }

  // ---- handle → serialize -------------------------------------------------------------------------------

  settled(ex: Exchange, value: unknown): void {
    if (ex.state !== EX_HANDLING || ex.aborted) {
      // Already answered (a protocol error or a timeout won), or the client left: never sent.
      discardValue(value);
      return;
    }
    const conn = this.conn;
    const obs = conn.host.observer;
    let t = 0;
    if (ex.tStart !== 0) {
      t = conn.now();
      ex.tSettled = t;
    }
    const req = ex.request as Request;
    if (obs.handle.on) obs.emit('handle', { request: req, durationMs: t - ex.tDispatch, error: null });
    if (value instanceof Upgrade) {
      if (req.upgrade === null) this.answerError(ex, notUpgradable());
      else this.accepted(ex, value);
      return;
    }
    const ctx = conn.host.config.serialize;
    try {
      const accept = ctx.serializers.length > 1 || ctx.strictAccept ? req.header('accept') : undefined;
      ex.response = serializeValue(value, accept, ctx, ex.isHead);
    } catch (error) {
      this.answerError(ex, toHttpError(error), error);
      return;
    }
    if (t !== 0) ex.tSerialized = conn.now();
    if (obs.serialize.on) {
      const res = ex.response;
      obs.emit('serialize', { request: req, serializer: res.serializer, bytes: res.kind === BODY_WHOLE ? res.byteLength : -1, durationMs: ex.tSerialized - t });
    }
    ex.moveTo(EX_READY);
    conn.queue.pump();
    conn.updateStateOutsideParse();
  }

  /** The handler took the upgrade: it waits for its turn in the queue like a response. */
  private accepted(ex: Exchange, value: Upgrade): void {
    ex.upgradeTo = value.accept;
    ex.moveTo(EX_READY);
    this.conn.queue.pump();
  }

  handOff(ex: Exchange): void {
    this.conn.handOff(ex.upgradeTo as UpgradeCallback);
  }

  failed(ex: Exchange, error: unknown): void {
    if (ex.state !== EX_HANDLING || ex.aborted) return;
    const conn = this.conn;
    const obs = conn.host.observer;
    if (ex.tStart !== 0) ex.tSettled = conn.now();
    if (obs.handle.on) obs.emit('handle', { request: ex.request as Request, durationMs: ex.tSettled - ex.tDispatch, error });
    this.answerError(ex, toHttpError(error), error);
  }

  /** Makes `ex` answer with `error` (replacing whatever it was going to send, if nothing was sent yet). */
  answerError(ex: Exchange, error: HttpError, cause: unknown = error): void {
    const conn = this.conn;
    this.report(ex.request, cause);
    ex.cancelSource(error);
    ex.error = error;
    ex.response = serializeError(error);
    if (error.closesConnection) ex.closeWith('protocol-error');
    if (ex.tStart !== 0) ex.tSerialized = conn.now();
    ex.moveTo(EX_READY);
    conn.queue.pump();
    conn.updateStateOutsideParse();
  }

  report(request: Request | null, error: unknown): void {
    const obs = this.conn.host.observer;
    if (obs.error.on) obs.emit('error', { connection: this.conn.id, request, error });
  }

  /** A request could not be read (malformed, too large, too slow). Requests before it are still answered. */
  protocolError(error: HttpError, reason: CloseReason): void {
    const conn = this.conn;
    const reader = conn.reader;
    reader.close();
    conn.deadlines.requestOff();
    const ex = reader.reading;
    reader.reading = null;
    if (ex !== null && ex.state !== EX_DONE) {
      ex.body?.fail(error);
      if (ex.state === EX_SENDING) {
        conn.destroy(reason); // its response is half sent: it cannot become a 4xx any more
        return;
      }
      ex.requestComplete = true;
      ex.closeWith(reason);
      this.answerError(ex, error);
      return;
    }
    if (ex !== null) {
      // That request was answered already; its unread body turned out malformed. Nothing more can be said.
      conn.closeGracefully(reason);
      return;
    }
    // Garbage (or silence) where a head should be: an answer of its own, after those in flight.
    const unparsed = Exchange.forUnparsed(this, reader.parser?.method === 'HEAD');
    unparsed.closeWith(reason);
    conn.queue.enqueue(unparsed);
    this.answerError(unparsed, error);
  }

  /** Aborts every exchange not yet answered, cancels streams, and stops the write queue for good. */
  abandon(error: Error): void {
    const queue = this.conn.queue;
    for (const ex of queue.exchanges) if (ex.state !== EX_DONE) ex.request?.abortWith(error);
    this.conn.reader.failReading(error);
    queue.close(error);
  }

  // ---- 100 Continue and body backpressure (ExchangeOwner) -----------------------------------------------

  bodyRequested(ex: Exchange): void {
    if (ex.continueState === CONTINUE_WANTED && !ex.requestComplete && ex.state !== EX_DONE) {
      ex.continueState = CONTINUE_DUE;
      this.conn.queue.pump();
    }
  }

  bodyDrained(ex: Exchange): void {
    const reader = this.conn.reader;
    if (ex === reader.reading && reader.paused & PAUSE_BODY) reader.maybeResume();
  }

  // ---- QueueOwner: release, frame, done -----------------------------------------------------------------

  /** May the front response go now? See keep-alive.ts `release`. */
  releasable(ex: Exchange): boolean {
    const body = ex.body;
    const f = RELEASE_FACTS;
    f.requestComplete = ex.requestComplete;
    f.hasBody = body !== null;
    f.continueWanted = ex.continueState === CONTINUE_WANTED;
    f.received = body === null ? 0 : body.received;
    f.highWaterMark = this.conn.host.config.highWaterMark;
    const verdict = release(f);
    if (verdict === RELEASE_AND_CLOSE) ex.closeWith('unread-body');
    return verdict !== RELEASE_WAIT;
  }

  frame(ex: Exchange): void {
    const res = ex.response;
    if (res === null) return;
    const conn = this.conn;
    const host = conn.host;
    const config = host.config;
    const framing = chooseFraming(res.status, res.kind, res.declaredLength, ex.http11);
    const body = ex.body;
    const f = RESPONSE_FACTS;
    f.keepAlive = ex.keepAlive;
    f.responseCloses = res.headers.close;
    f.closeDelimited = framing === FRAME_CLOSE;
    f.isHead = ex.isHead;
    f.shuttingDown = host.draining;
    // Answered before its body was read, by a handler that will not read the rest: too much to skip closes,
    // and the head says so. (A request read whole, the common case, needs no facts.)
    f.unreadBody = ex.requestComplete || body === null ? 0 : unreadAtFrame(unreadFacts(ex, body, res.kind === BODY_WHOLE));
    f.maxDiscard = config.maxDiscardSize;
    const reason = closeAfterResponse(f);
    if (reason !== null) ex.closeWith(reason);
    let extra = '';
    if (config.serverTiming && ex.tStart !== 0) {
      extra = `Server-Timing: handle;dur=${(ex.tSettled - ex.tDispatch).toFixed(3)}, serialize;dur=${(ex.tSerialized - ex.tSettled).toFixed(3)}\r\n`;
    }
    const length = res.kind === BODY_WHOLE && res.declaredLength < 0 ? res.byteLength : res.declaredLength;
    ex.framing = framing;
    ex.head = buildHead(res.status, res.headers, res.contentType, framing, length, ex.closeAfter ? config.lines.close : config.lines.keepAlive, extra, res.reason);
    if (ex.tStart !== 0) ex.tFramed = conn.now();
    // Nothing after this request will be read; the rest of its own body still is (a streaming echo needs it).
    if (ex.closeAfter) conn.reader.stopAfterCurrent(ex.requestComplete);
    const obs = host.observer;
    if (obs.frame.on) obs.emit('frame', { request: ex.request, status: res.status, head: ex.head, framing: FRAMING_NAMES[framing] });
  }

  responseDone(ex: Exchange): void {
    const conn = this.conn;
    const host = conn.host;
    host.counters.responses++;
    const req = ex.request;
    if (req !== null && req.timings !== null) {
      const t = req.timings;
      const end = conn.now();
      t.parse = ex.tDispatch - ex.tStart;
      t.handle = ex.tSettled - ex.tDispatch;
      t.serialize = ex.tSerialized - ex.tSettled;
      t.frame = ex.tFramed - ex.tSerialized;
      t.write = end - ex.tFramed;
    }
    const obs = host.observer;
    if (obs.finish.on) {
      obs.emit('finish', { request: req, status: ex.response?.status ?? 0, bodyBytes: ex.bodyBytes, keepAlive: !ex.closeAfter, timings: req?.timings ?? null });
    }
    if (!ex.requestComplete && ex.body !== null) {
      // Nobody reads the rest: drop it as it comes, or close if there is too much of it. A reader still at it
      // gets an error, never an early end (it would take a cut body for a whole one).
      ex.body.fail(new BodyDiscardedError());
      if (remainingBody(ex.contentLength, ex.body.received) > host.config.maxDiscardSize) ex.closeWith('unread-body');
    }
    if (ex === conn.reader.upgrading) conn.reader.upgradeDeclined();
    conn.responseDone(ex);
  }

  failedBeforeHead(ex: Exchange, error: unknown): void {
    // Nothing of this response was written: answer 500 instead, and the connection may live on.
    const res = ex.response;
    const code = res !== null && res.serializer === 'stream' ? 'H1W_STREAM_FAILED' : 'H1W_SERIALIZE_FAILED';
    const failure =
      error instanceof HttpError ? error : new HttpError(500, `the body of the response failed before its first byte`, { code, cause: error });
    this.answerError(ex, failure, error);
  }

  streamFailed(ex: Exchange, error: unknown): void {
    this.report(ex.request, error instanceof StreamAbortedError ? error : new StreamAbortedError('stream failed', 'H1W_STREAM_FAILED', error));
    ex.moveTo(EX_DONE); // it failed on its own; the requests behind it are the ones abandoned
    this.conn.resetAfterFailedStream(error instanceof Error ? error : new Error('the streamed body failed'));
  }

  wrote(bytes: number, writes: number): void {
    const conn = this.conn;
    conn.bytesOut += bytes;
    conn.host.counters.bytesOut += bytes;
    const obs = conn.host.observer;
    if (obs.write.on) obs.emit('write', { connection: conn.id, bytes, writes });
  }

  blocked(): void {
    const conn = this.conn;
    conn.reader.pause(PAUSE_WRITE);
    this.blockedAt = conn.now();
    conn.writesBlocked();
  }

  drained(): void {
    const conn = this.conn;
    conn.writesDrained();
    const obs = conn.host.observer;
    if (obs.drain.on) obs.emit('drain', { connection: conn.id, waitedMs: conn.now() - this.blockedAt });
    conn.reader.maybeResume();
  }
}

