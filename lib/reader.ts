// The read side of a connection: it owns the parser while bytes come in, runs it within the pipeline
// budget, pauses the socket when it must not read on (pipeline full, body unread, writes blocked), and turns
// parser events into exchanges. It never writes: answers go through the connection's responder.
import { nextTick } from 'node:process';
import { Buffer } from 'node:buffer';
import type { HttpError } from './errors.js';
import { ContentTooLargeError, ExpectationFailedError } from './errors.js';
import { CONTINUE_DUE, CONTINUE_WANTED, EX_READY, Exchange, type RequestFacts } from './exchange.js';
import { invoke } from './handle.js';
import { closeAtHead, type HeadFacts } from './keep-alive.js';
import { READ_CLOSED, READ_LAST, READ_OPEN, type ReadState } from './connection-states.js';
import { PARSE_ERROR, PARSE_PAUSED, type ParserEvents, type RequestHead, type RequestParser } from './parser.js';
import { Request } from './request.js';
import { RequestBody } from './request-body.js';
import type { Connection } from './connection.js';

/** Reasons reading is paused (bits). */
export const PAUSE_PIPELINE = 1; // maxPipelineDepth unanswered requests
export const PAUSE_BODY = 2; // the handler has not read the buffered body
export const PAUSE_WRITE = 4; // the socket is not taking our writes
export const PAUSE_UPGRADE = 8; // an upgrade request's handler has not decided: what follows may not be HTTP

// Facts handed to Exchange.forRequest and closeAtHead, filled in place (no object per request), one for all
// connections: each is read at once and never kept.
const REQUEST_FACTS: RequestFacts = { isHead: false, http11: true, keepAlive: true, contentLength: -1, hasBody: false };
const HEAD_FACTS: HeadFacts = { keepAlive: true, requests: 0, maxRequests: 0, shuttingDown: false };

export class RequestReader implements ParserEvents {
  state: ReadState = READ_OPEN;
  parser: RequestParser | null = null;
  /** The exchange whose request body is being parsed. */
  reading: Exchange | null = null;
  /** The upgradable request whose handler has not decided yet; nothing after it is parsed meanwhile. */
  upgrading: Exchange | null = null;
  paused = 0; // PAUSE_* bits
  /** Input held back while paused. */
  unparsed: Buffer | null = null;
  /** Inside parse(): state changes wait for its end. */
  parsing = false;
  private resumeScheduled = false;
  private readonly conn: Connection;

  constructor(conn: Connection) {
    this.conn = conn;
  }

  /** Back to a new connection's state (this object is reused with its connection). */
  reset(): void {
    this.state = READ_OPEN;
    this.parser = null;
    this.reading = null;
    this.upgrading = null;
    this.paused = 0;
    this.unparsed = null;
    this.parsing = false;
    this.resumeScheduled = false;
  }

  /** Between requests, holding nothing and with nothing scheduled: an idle connection may drop this reader
   * (a new one is the same) once its parser is given back. */
  get vacant(): boolean {
    return (
      this.state === READ_OPEN &&
      this.paused === 0 &&
      !this.resumeScheduled &&
      !this.parsing &&
      this.unparsed === null &&
      this.reading === null &&
      this.upgrading === null &&
      !this.inMessage
    );
  }

  get inMessage(): boolean {
    return this.parser !== null && this.parser.inMessage;
  }

  get inBody(): boolean {
    return this.reading !== null || (this.parser !== null && this.parser.inBody);
  }

  /** Nothing more will be parsed; what arrives is dropped. */
  close(): void {
    this.state = READ_CLOSED;
    this.unparsed = null;
  }

  /** The request being read is the last: after it, close; before any body, at once. */
  stopAfterCurrent(requestComplete: boolean): void {
    if (requestComplete) this.close();
    else if (this.state === READ_OPEN) this.state = READ_LAST;
  }

  // ---- parser ownership ---------------------------------------------------------------------------------

  takeParser(): void {
    if (this.parser !== null) return;
    const parser = this.conn.host.takeParser();
    parser.bind(this);
    this.parser = parser;
  }

  /** Gives the parser up (idle, or the socket is gone); the caller hands it to the pool. */
  releaseParser(): RequestParser | null {
    const parser = this.parser;
    this.parser = null;
    parser?.unbind();
    return parser;
  }

  // ---- parse --------------------------------------------------------------------------------------------

  /** Parses what arrived (a batch of responses to it leaves as one write). */
  read(chunk: Buffer): void {
    if (this.state === READ_CLOSED) return;
    if (this.unparsed !== null) {
      // Bytes that were already on their way when reading paused.
      this.unparsed = Buffer.concat([this.unparsed, chunk]);
      return;
    }
    this.takeParser();
    const queue = this.conn.queue;
    queue.beginBatch();
    this.parse(chunk);
    queue.endBatch();
  }

  /** How many more messages the parser may complete before it pauses. */
  private budget(): number {
    const config = this.conn.host.config;
    let budget = config.maxPipelineDepth - this.conn.queue.exchanges.length;
    const max = config.maxRequestsPerConnection;
    if (max > 0 && max - this.conn.requests < budget) budget = max - this.conn.requests;
    return budget;
  }

  private parse(chunk: Buffer): void {
    const parser = this.parser;
    const conn = this.conn;
    if (parser === null) return;
    if (!parser.inMessage) conn.deadlines.messageStarting();
    this.parsing = true;
    let from = 0;
    for (;;) {
      if (this.budget() <= 0 || conn.queue.blocked) {
        this.holdInput(chunk, from);
        break;
      }
      const status = parser.execute(chunk, from, this.budget());
      if (conn.gone) break;
      if (status === PARSE_ERROR) {
        conn.responder.protocolError(parser.error as HttpError, 'protocol-error');
        break;
      }
      if (status === PARSE_PAUSED) {
        if (this.state === READ_CLOSED) break;
        if (this.upgrading !== null) {
          // Stopped exactly at the end of the upgrade request's head: the rest is held (even when empty, so
          // that later bytes join it) for the new protocol, or for HTTP if the handler declines.
          this.unparsed = chunk.subarray(parser.offset);
          this.pause(PAUSE_UPGRADE);
          break;
        } // after the last request, whatever follows is dropped
        from = parser.offset;
        if (from < chunk.length) continue; // the loop re-checks the budget (handlers may have finished)
      }
      break;
    }
    this.parsing = false;
    if (conn.gone) return;
    conn.deadlines.messageProgress(parser.inMessage, parser.inBody, conn.requests);
    const reading = this.reading;
    const body = reading === null ? null : reading.body;
    if (body === null) return;
    if (body.full) {
      this.pause(PAUSE_BODY);
      // Its body passed the high-water mark unread: a response that was waiting for the request may go now
      // (see keep-alive.ts release), or a handler that answers without reading would wait for a body we
      // stopped reading.
      conn.queue.pump();
    } else if ((reading as Exchange).state === EX_READY && body.received >= conn.host.config.highWaterMark) {
      // The same for a body that never fills: one read as it comes, or cancelled (dropped as it comes). Its
      // answer waits no longer than an unread body's would (else for the whole body, past maxDiscardSize).
      conn.queue.pump();
    }
  }

  private holdInput(chunk: Buffer, from: number): void {
    if (from < chunk.length) this.unparsed = from === 0 ? chunk : chunk.subarray(from);
    this.pause(PAUSE_PIPELINE);
  }

  // ---- pausing ------------------------------------------------------------------------------------------

  pause(bit: number): void {
    if (this.paused === 0) this.conn.pauseSocket();
    this.paused |= bit;
  }

  /** Reading goes on whatever held it (the connection is closing: unread input must not become a reset). */
  unpauseForClose(): void {
    if (this.paused === 0) return;
    this.paused = 0;
    this.conn.resumeSocket();
  }

  /** Clears pause reasons that no longer hold, and resumes reading (on the next tick) if none is left. */
  maybeResume(): void {
    if (this.paused === 0 || this.resumeScheduled || this.conn.gone) return;
    this.resumeScheduled = true;
    nextTick(resumeReader, this);
  }

  /** @internal (resumeReader) */
  resumeNow(): void {
    this.resumeScheduled = false;
    const conn = this.conn;
    if (conn.gone || conn.closing || this.parsing) return;
    let paused = this.paused;
    if (paused & PAUSE_WRITE && !conn.queue.blocked) paused &= ~PAUSE_WRITE;
    if (paused & PAUSE_BODY && this.reading?.body?.full !== true) paused &= ~PAUSE_BODY;
    if (paused & PAUSE_PIPELINE && this.budget() > 0 && !conn.queue.blocked) paused &= ~PAUSE_PIPELINE;
    if (paused & PAUSE_UPGRADE && this.upgrading === null) paused &= ~PAUSE_UPGRADE;
    this.paused = paused;
    if (paused !== 0) return;
    const held = this.unparsed;
    this.unparsed = null;
    if (held !== null && held.length > 0 && this.state !== READ_CLOSED) {
      this.takeParser();
      conn.queue.beginBatch();
      this.parse(held);
      conn.queue.endBatch();
    }
    if (this.paused === 0 && !conn.gone) conn.resumeSocket();
    conn.updateState();
  }

  /** The upgrade request was answered as plain HTTP: parsing goes on from the end of its head. */
  upgradeDeclined(): void {
    this.upgrading = null;
  }

  /** The bytes read past the upgrade request's head (the new protocol's first bytes), and nothing more is read. */
  takeHeld(): Buffer {
    const held = this.unparsed;
    this.close();
    this.paused = 0;
    return held ?? Buffer.alloc(0);
  }

  // ---- parser events ------------------------------------------------------------------------------------

  onHead(head: RequestHead): void {
    if (this.state === READ_CLOSED) return;
    const conn = this.conn;
    const host = conn.host;
    const config = host.config;
    const hasBody = head.chunked || head.contentLength > 0;
    const responder = conn.responder;
    const rf = REQUEST_FACTS;
    rf.isHead = head.method === 'HEAD';
    rf.http11 = head.versionMinor >= 1;
    rf.keepAlive = head.keepAlive;
    rf.contentLength = head.contentLength;
    rf.hasBody = hasBody;
    const ex = Exchange.forRequest(responder, rf);
    const requests = ++conn.requests;
    host.counters.requests++;
    if (hasBody) {
      ex.body = new RequestBody(ex, config.highWaterMark);
      this.reading = ex;
    }
    const req = new Request(head, conn, requests, ex.body);
    ex.request = req;
    const obs = host.observer;
    if (obs.timings()) {
      ex.tStart = conn.now();
      req.timings = { start: ex.tStart, parse: 0, handle: 0, serialize: 0, frame: 0, write: 0 };
    }
    const hf = HEAD_FACTS;
    hf.keepAlive = head.keepAlive;
    hf.requests = requests;
    hf.maxRequests = config.maxRequestsPerConnection;
    hf.shuttingDown = host.draining;
    const last = closeAtHead(hf);
    if (last !== null) {
      ex.closeWith(last);
      if (this.state === READ_OPEN) this.state = READ_LAST;
    }
    if (head.expectContinue && hasBody) ex.continueState = config.continueAtOnce ? CONTINUE_DUE : CONTINUE_WANTED;
    conn.queue.enqueue(ex);
    if (head.upgrade !== null) this.upgrading = ex;
    if (ex.continueState === CONTINUE_DUE) conn.queue.pump(); // sent now if this exchange is at the front
    if (obs.parse.on) obs.emit('parse', { request: req, head: headText(head) });
    if (config.bodyLimit !== null && hasBody) {
      let limit: number;
      try {
        limit = config.bodyLimit(req);
      } catch (error) {
        responder.report(req, error);
        limit = 0;
      }
      ex.bodyLimit = limit;
      if (head.contentLength > limit) {
        responder.protocolError(new ContentTooLargeError(`request body larger than ${limit} bytes`), 'protocol-error');
        return;
      }
    }
    if (head.unknownExpectation !== null) {
      // RFC 9110 §10.1.1: 417; if a body may follow, the connection cannot be trusted to frame it.
      responder.answerError(ex, new ExpectationFailedError(`cannot meet the expectation "${head.unknownExpectation}"`, hasBody));
      return;
    }
    ex.tDispatch = ex.tStart === 0 ? 0 : conn.now();
    invoke(host.handler, req, ex);
  }

  onBody(chunk: Buffer): void {
    const ex = this.reading;
    if (ex === null || ex.body === null) return;
    ex.body.push(chunk);
    if (ex.body.received > ex.bodyLimit) {
      this.conn.responder.protocolError(new ContentTooLargeError(`request body larger than ${ex.bodyLimit} bytes`), 'protocol-error');
    }
  }

  onMessageEnd(trailers: string[] | null): void {
    // After the last request (Connection: close, the request limit, shutdown) the rest of the input is dropped.
    if (this.state === READ_LAST) this.close();
    const ex = this.reading;
    if (ex !== null) {
      this.reading = null;
      ex.requestComplete = true;
      ex.body?.end(trailers);
    }
    this.conn.messageEnded();
  }

  /** The request being read will never complete: its body readers get `error`. */
  failReading(error: Error): void {
    const ex = this.reading;
    if (ex !== null) {
      this.reading = null;
      ex.body?.fail(error);
    }
  }
}

function resumeReader(reader: RequestReader): void {
  reader.resumeNow();
}

/** The head as it came, for traces and the parse hook (rebuilt from the parsed pieces). */
function headText(head: RequestHead): string {
  let text = `${head.method} ${head.target} HTTP/${head.versionMajor}.${head.versionMinor}\r\n`;
  const raw = head.fields.raw();
  for (let i = 0; i < raw.length; i += 2) text += `${raw[i]}: ${raw[i + 1]}\r\n`;
  return text;
}
