// The parse stage: bytes in, request heads, body chunks and message ends out, limits enforced.
//
// llhttp reports spans (offset, length) through callbacks; head-spans.ts records them and gathers them once
// per read into one latin1 string and an offset table: a head's fields (head-fields.ts) become strings only
// when something asks for them. A head split across reads is gathered at the end of each read and continued
// in the next. The errors it answers with are in parse-errors.ts.
//
// Events are queued while llhttp runs and delivered after it returns (parse-events.ts), so no user code ever
// runs inside the WebAssembly call, and all the requests one read brings are parsed before the first is
// dispatched.
import { LLHTTP, Llhttp, PARSER_TYPE, type LlhttpSink } from '../native-free/llhttp.js';
import { HttpError, UriTooLongError, VersionNotSupportedError } from './errors.js';
import { HeadFields } from './head-fields.js';
import { clearPieces, FIELD, finishFields, newPieces, SpanRecorder, URL, VALUE, type Pieces } from './head-spans.js';
import { EmptyLineCounter } from './empty-lines.js';
import { bodyTooLarge, headTooLarge, llhttpError, overheadTooLarge, tooManyFields } from './parse-errors.js';
import { checkHead, type RequestHead } from './request-rules.js';
import { upgradeOffer } from './upgrade.js';
import { ParseEventQueue, type ParserEvents } from './parse-events.js';

export type { RequestHead } from './request-rules.js';
export type { ParserEvents } from './parse-events.js';
export { MAX_EMPTY_LINES } from './parse-errors.js';

export interface ParserLimits {
  maxHeaderSize: number;
  maxRequestLineSize: number;
  maxHeaderCount: number;
  maxBodySize: number;
  maxChunkOverhead: number;
}

/** `execute` results. */
export const PARSE_DONE = 0; // the whole chunk was consumed
export const PARSE_PAUSED = 1; // stopped after a message at `offset` (budget used up, or the message closes)
export const PARSE_ERROR = 2; // `error` says why; nothing more can be parsed on this connection

const STAGE_IDLE = 0; // between messages
const STAGE_HEAD = 1; // request line and header section
const STAGE_BODY = 2; // body (and, when chunked, trailers)

const EMPTY = Buffer.alloc(0);

/** Fills in what a head llhttp saw Upgrade on offers; whether it offers anything. Out of onHeadersComplete,
 * which must stay small enough for V8 to inline it into the llhttp callback. */
function offerUpgrade(head: RequestHead): boolean {
  const hasBody = head.chunked || head.contentLength > 0;
  head.upgrade = upgradeOffer(true, head.versionMinor, hasBody, head.fields);
  return head.upgrade !== null;
}

export class RequestParser implements LlhttpSink {
  readonly limits: ParserLimits;
  /** Where `execute` stopped when it returned PARSE_PAUSED or PARSE_ERROR (an offset into its chunk). */
  offset = 0;
  /** Why parsing failed, after PARSE_ERROR. */
  error: HttpError | null = null;

  private readonly llhttp: Llhttp;
  private events: ParserEvents | null = null;

  // Input position: absolute offsets (bytes since reset) make spans from different chunks comparable.
  private chunk: Buffer = EMPTY;
  private base = 0; // absolute offset of chunk[0]
  private consumed = 0; // bytes consumed since reset

  // Spans recorded during this execute (head-spans.ts).
  private readonly spans: SpanRecorder;

  private stage = STAGE_IDLE;
  private readonly pieces: Pieces = newPieces(); // the head being read (reused)
  private headStart = -1; // absolute offset where the current request line starts, once its target is seen
  private urlLength = 0;
  private methodName = '';
  private urlEnd = 0; // absolute offset just after the target
  private headerCount = 0;
  private keepAlive = true;
  private chunked = false;
  private bodyBytes = 0;
  private lastDataEnd = 0; // absolute end of the last body data (or of the head), for chunk overhead
  private trailers: Pieces | null = null;
  private bodyEnd = 0; // absolute end of the last body data

  // Empty lines before a request line (llhttp skips them without a word), counted from positions alone.
  private readonly empty = new EmptyLineCounter();
  private resetAfterPause = false; // llhttp took a trailer field for its own: start it afresh, do not resume

  private budget = 0;
  private stop = false; // a message asked to stop after it (budget, or the connection closes)
  private upgradeOffered = false; // the message being read may be upgraded: stop at the end of its head
  private checkOverhead = false; // a chunked message ended: check its overhead at the pause
  private failure: HttpError | null = null; // the first failure, reported when execute returns
  private failedMethod = '';

  // Events, delivered after llhttp returns.
  private readonly outbox = new ParseEventQueue();

  constructor(limits: ParserLimits) {
    this.limits = limits;
    this.spans = new SpanRecorder(limits.maxHeaderCount);
    this.llhttp = new Llhttp(PARSER_TYPE.REQUEST, this);
  }

  /** Attaches the parser to a new owner, as fresh as a new one. */
  bind(events: ParserEvents): void {
    this.events = events;
    this.llhttp.reset();
    this.offset = 0;
    this.error = null;
    this.chunk = EMPTY;
    this.base = 0;
    this.consumed = 0;
    this.spans.reset();
    this.stage = STAGE_IDLE;
    this.trailers = null;
    this.failure = null;
    this.failedMethod = '';
    this.empty.reset();
    this.resetAfterPause = false;
    this.upgradeOffered = false;
    this.outbox.clear();
  }

  /** Detaches from its owner (the parser goes back to a free list). */
  unbind(): void {
    this.events = null;
    this.chunk = EMPTY;
    this.outbox.clear();
  }

  /** Releases the WebAssembly side for good. */
  free(): void {
    this.llhttp.free();
  }

  /** Bytes of a message have been seen and its end has not (a timeout then deserves a 408). */
  get inMessage(): boolean {
    return this.stage !== STAGE_IDLE;
  }

  /** The head of the current message is complete and its body is being read. */
  get inBody(): boolean {
    return this.stage === STAGE_BODY;
  }

  /**
   * Parses chunk[from…]. At most `budget` messages are completed before it pauses; a message that closes the
   * connection pauses it too. Events reach the owner before this returns.
   */
  execute(chunk: Buffer, from: number, budget: number): number {
    this.chunk = chunk;
    this.base = this.consumed - from;
    this.spans.beginExecute();
    this.budget = budget;
    this.stop = false;
    let at = from;
    const end = chunk.length;
    let ret: number;
    for (;;) {
      this.empty.runFrom = at;
      ret = this.llhttp.execute(chunk, at, end);
      if (ret === LLHTTP.OK) {
        at = end;
        this.consumed = this.base + end;
        const error = this.endOfInput();
        if (error !== null) this.fail(error);
        break;
      }
      at = this.llhttp.errorOffset;
      this.consumed = this.base + at;
      if (ret !== LLHTTP.PAUSED && ret !== LLHTTP.PAUSED_UPGRADE) {
        if (this.failure === null) this.fail(llhttpError(ret, this.llhttp.errorReason(), this.llhttp.versionMajor, this.llhttp.versionMinor)); // else a callback failed: llhttp says USER
        break;
      }
      // PAUSED_UPGRADE: `at` is the end of the upgrade request's head (the reader holds what follows until the
      // handler decides). Resuming now means that, if it declines, HTTP goes on from there.
      if (this.resetAfterPause) {
        this.resetAfterPause = false;
        this.llhttp.reset();
      } else if (ret === LLHTTP.PAUSED) this.llhttp.resume();
      else this.llhttp.resumeAfterUpgrade();
      if (this.stage === STAGE_IDLE) this.empty.gapFrom = this.consumed; // the message ended exactly here
      if (this.failure === null && this.checkOverhead) {
        // A chunked message just ended here: now we know how many bytes followed its last data.
        this.checkOverhead = false;
        if (this.consumed - this.lastDataEnd > this.limits.maxChunkOverhead) {
          this.fail(overheadTooLarge(this.limits));
          this.outbox.dropLast(); // its end: the message failed, it did not complete
        }
      }
      if (this.failure !== null || this.stop) break;
    }
    this.outbox.deliver(this.events);
    const error = this.failure;
    if (error === null && ret === LLHTTP.OK) return PARSE_DONE;
    this.offset = at;
    if (error === null) return PARSE_PAUSED;
    this.error = error;
    this.failedMethod = this.stage === STAGE_IDLE ? '' : this.methodName;
    this.stage = STAGE_IDLE;
    return PARSE_ERROR;
  }

  /**
   * The one way parsing fails, during an llhttp callback or after llhttp returned: the first failure is kept
   * (and ends this execute once llhttp has returned; a callback returns what this returns, which stops llhttp).
   * Nothing more is parsed on this connection.
   */
  private fail(error: HttpError): number {
    if (this.failure === null) this.failure = error;
    return LLHTTP.USER;
  }

  /** The method of the request being read, or of the one that failed ("" until a method has been read whole,
   * that is, until its target began): an answer to HEAD, even an error, carries no body. */
  get method(): string {
    return this.stage === STAGE_IDLE ? this.failedMethod : this.methodName;
  }

  /** The chunk is used up mid-message: keep what the spans point at, and check the limits so far. */
  private endOfInput(): HttpError | null {
    const end = this.base + this.chunk.length;
    const run = this.empty.runBefore(this.chunk, this.base, end);
    const error = this.checkEnd(end, run);
    this.empty.chunkEnded(run, end); // after the checks above, which may read the previous chunk's run
    return error;
  }

  private checkEnd(end: number, run: number): HttpError | null {
    if (this.stage === STAGE_IDLE) {
      const error = this.empty.idleCheck(end, run);
      if (error !== null) return error;
    } else if (this.stage === STAGE_HEAD) {
      if (this.headStart < 0 && !this.empty.startChecked) {
        const error = this.empty.checkMethodOnly(this.chunk, this.base);
        if (error !== null) return error;
      }
      this.spans.flush(this.chunk, this.pieces);
      if (this.headStart >= 0 && end - this.headStart > this.limits.maxHeaderSize) return headTooLarge(this.limits);
      // A request line without a version ("GET /\r\n") is HTTP/0.9: llhttp waits for a header section that
      // a 0.9 client never sends. Answer now rather than at the headers timeout.
      const afterUrl = this.urlEnd - this.base;
      if (this.urlLength > 0 && afterUrl >= 0 && afterUrl < this.chunk.length) {
        const c = this.chunk[afterUrl];
        if (c === 0x0d || c === 0x0a) return new VersionNotSupportedError('HTTP/0.9 is not supported');
      }
    } else if (this.stage === STAGE_BODY) {
      if (this.trailers !== null) this.spans.flush(this.chunk, this.trailers);
      if (this.chunked && end - this.lastDataEnd > this.limits.maxChunkOverhead) return overheadTooLarge(this.limits);
    }
    return null;
  }

  // ---- llhttp callbacks -------------------------------------------------------------------------------

  onMessageBegin(): number {
    this.stage = STAGE_HEAD;
    clearPieces(this.pieces);
    this.trailers = null;
    this.headStart = -1; // known from the first URL span; before it only a (short) method has been read
    this.methodName = '';
    this.urlLength = 0;
    this.headerCount = 0;
    this.bodyBytes = 0;
    this.chunked = false;
    this.empty.startChecked = false;
    return 0;
  }

  onUrl(at: number, length: number): number {
    if (this.urlLength === 0) {
      this.methodName = this.llhttp.method; // read once per request
      this.headStart = this.base + at - this.methodName.length - 1;
      if (!this.empty.startChecked) {
        const error = this.empty.checkStart(this.chunk, this.base, this.headStart);
        if (error !== null) return this.fail(error);
      }
    }
    this.urlLength += length;
    this.urlEnd = this.base + at + length;
    if (this.urlLength > this.limits.maxRequestLineSize) {
      return this.fail(new UriTooLongError(`request target longer than ${this.limits.maxRequestLineSize} bytes`));
    }
    this.spans.record(URL, this.base, at, length);
    return 0;
  }

  onStatus(): number {
    return 0; // responses are not parsed here
  }

  onHeaderField(at: number, length: number): number {
    if (this.stage === STAGE_BODY && this.trailers === null) this.trailers = newPieces();
    if (!this.spans.continues(FIELD, this.base + at) && ++this.headerCount > this.limits.maxHeaderCount) {
      return this.fail(tooManyFields(this.limits));
    }
    // The span table is full only when one execute brought more pieces than any valid head has.
    if (!this.spans.record(FIELD, this.base, at, length)) return this.fail(tooManyFields(this.limits));
    return 0;
  }

  onHeaderValue(at: number, length: number): number {
    if (!this.spans.record(VALUE, this.base, at, length)) return this.fail(tooManyFields(this.limits));
    return 0;
  }

  onHeadersComplete(_status: number, upgrade: number, shouldKeepAlive: number): number {
    // The head ends with the CRLF after its last line and the empty line's CRLF.
    const end = this.spans.lastEnd + 4;
    this.spans.flush(this.chunk, this.pieces);
    if (end - this.headStart > this.limits.maxHeaderSize) return this.fail(headTooLarge(this.limits));
    const pieces = this.pieces;
    const head: RequestHead = {
      method: this.methodName,
      target: pieces.url,
      versionMajor: this.llhttp.versionMajor,
      versionMinor: this.llhttp.versionMinor,
      fields: new HeadFields(pieces.text, finishFields(pieces)),
      keepAlive: shouldKeepAlive === 1,
      contentLength: -1,
      chunked: false,
      expectContinue: false,
      unknownExpectation: null,
      upgrade: null,
    };
    const error = checkHead(head);
    if (error !== null) return this.fail(error);
    // An upgradable request is the last one parsed until its handler decides: what follows may be another protocol.
    this.upgradeOffered = upgrade === 1 && offerUpgrade(head);
    if (head.contentLength > this.limits.maxBodySize) {
      return this.fail(bodyTooLarge(this.limits.maxBodySize));
    }
    this.keepAlive = head.keepAlive;
    this.chunked = head.chunked;
    this.lastDataEnd = end;
    this.spans.lastKind = 0;
    this.stage = STAGE_BODY;
    this.outbox.head(head);
    return 0;
  }

  onBody(at: number, length: number): number {
    this.bodyBytes += length;
    if (this.bodyBytes > this.limits.maxBodySize) {
      return this.fail(bodyTooLarge(this.limits.maxBodySize));
    }
    if (this.chunked) {
      const start = this.base + at;
      if (start - this.lastDataEnd > this.limits.maxChunkOverhead) return this.fail(overheadTooLarge(this.limits));
      this.lastDataEnd = start + length;
    }
    this.bodyEnd = this.base + at + length;
    this.outbox.body(this.chunk.subarray(at, at + length));
    return 0;
  }

  onMessageComplete(): number {
    let trailers: string[] | null = null;
    if (this.trailers !== null) {
      this.spans.flush(this.chunk, this.trailers);
      const pieces = this.trailers;
      trailers = new HeadFields(pieces.text, finishFields(pieces)).raw();
    }
    this.outbox.end(trailers);
    this.stage = STAGE_IDLE;
    this.spans.lastKind = 0;
    // Where it ended: after its body data when it had some and was not chunked (a chunked one pauses below,
    // and the pause tells), else after its head.
    this.empty.gapFrom = this.bodyBytes > 0 && !this.chunked ? this.bodyEnd : -1;
    // Connection handling comes from the head alone (RFC 9110 §6.5.1: a trailer field cannot change it). llhttp
    // reads Connection (and Proxy-Connection) in trailers too, and would take a `close` there as the end of
    // the connection: after a kept message with trailers, start llhttp afresh instead of resuming it.
    if (this.trailers !== null && this.keepAlive) this.resetAfterPause = true;
    if (!this.keepAlive || --this.budget <= 0 || this.upgradeOffered) this.stop = true;
    // Chunked: pause to learn where the message ended, and check the overhead after its last data.
    if (this.chunked) {
      this.checkOverhead = true;
      return LLHTTP.PAUSED;
    }
    return this.stop ? LLHTTP.PAUSED : 0;
  }
}
