// The parse stage: bytes in, request heads, body chunks and message ends out, limits enforced.
//
// llhttp reports spans (offset, length) through callbacks. Making a string per callback is the slow way (about
// half the throughput here); we record offsets and decode one latin1 string per head when it completes, then
// slice the pieces out of it. A head split across reads is flushed to strings at the end of each read and
// continued in the next; pieces join when they touch (a span cut by the end of a chunk continues at the
// start of the next one, and two distinct spans never touch, as a delimiter always stands between them).
//
// Events are queued while llhttp runs and delivered after it returns, so no user code ever runs inside the
// WebAssembly call, and all the requests one read brings are parsed before the first is dispatched.
import { LLHTTP, Llhttp, PARSER_TYPE, type LlhttpSink } from '../native-free/llhttp.js';
import {
  BadRequestError,
  ContentTooLargeError,
  HeadersTooLargeError,
  HttpError,
  UriTooLongError,
  VersionNotSupportedError,
} from './errors.js';
import { checkHead, type RequestHead } from './request-rules.js';

export type { RequestHead } from './request-rules.js';

export interface ParserLimits {
  maxHeaderSize: number;
  maxRequestLineSize: number;
  maxHeaderCount: number;
  maxBodySize: number;
  maxChunkOverhead: number;
}

/** What the parser tells its owner, in stream order, always outside the llhttp call. */
export interface ParserEvents {
  onHead(head: RequestHead): void;
  onBody(chunk: Buffer): void;
  /** The message is complete; `trailers` are the chunked trailer fields (name, value, …), or null. */
  onMessageEnd(trailers: string[] | null): void;
}

/** `execute` results. */
export const PARSE_DONE = 0; // the whole chunk was consumed
export const PARSE_PAUSED = 1; // stopped after a message at `offset` (budget used up, or the message closes)
export const PARSE_ERROR = 2; // `error` says why; nothing more can be parsed on this connection

/** llhttp error numbers → names, for stable error codes (H1W_INVALID_HEADER_TOKEN, …). */
const LLHTTP_NAMES: Record<number, string> = Object.fromEntries(Object.entries(LLHTTP).map(([name, n]) => [n, name]));

const URL = 1;
const FIELD = 2;
const VALUE = 3;
const CONTINUES = 8; // flag on a span kind: it continues the previous piece of the same kind

const HEAD = 0;
const BODY = 1;
const END = 2;

const STAGE_IDLE = 0; // between messages
const STAGE_HEAD = 1; // request line and header section
const STAGE_BODY = 2; // body (and, when chunked, trailers)

interface Pieces {
  url: string;
  raw: string[];
}

const EMPTY = Buffer.alloc(0);

/** Empty lines ignored before a request line. RFC 9112 §2.2 asks to ignore at least one (old clients sent a
 * CRLF after a POST body); a few more cost nothing, and a stream of them is a client not speaking HTTP, or one
 * holding a connection open → 400. llhttp skips any mix of CR and LF there; we count those bytes, two a line. */
export const MAX_EMPTY_LINES = 4;
const MAX_EMPTY_BYTES = 2 * MAX_EMPTY_LINES;
/** A run of CR/LF bytes is only read far enough to tell it is too long (with the 4 of a head's last CRLF CRLF). */
const RUN_CAP = MAX_EMPTY_BYTES + 5;

function isCrLf(c: number | undefined): boolean {
  return c === 0x0d || c === 0x0a;
}

/** llhttp's reason when the version is syntactically fine but not one it parses (only 1.0 and 1.1 pass). */
const WELL_FORMED_UNSUPPORTED_VERSION = 'Invalid HTTP version';

// One span table for all parsers: parsing is synchronous and spans are turned into strings before execute
// returns, so no parser needs a table of its own between reads (it would cost 6 KiB per idle connection).
let SPANS = new Int32Array(0);

function latin1(chunk: Buffer, from: number, to: number): string {
  return (chunk as unknown as { latin1Slice(a: number, b: number): string }).latin1Slice(from, to);
}

function trimTrailingOws(value: string): string {
  let end = value.length;
  while (end > 0) {
    const c = value.charCodeAt(end - 1);
    if (c !== 0x20 && c !== 0x09) break;
    end--;
  }
  return value.slice(0, end);
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

  // Spans recorded during this execute: kind, start, end (offsets into `chunk`), in the shared table.
  private readonly spanCapacity: number;
  private spanCount = 0;
  private lastKind = 0; // kind of the last span recorded (across executes), for continuations
  private lastEnd = -1; // its absolute end

  private stage = STAGE_IDLE;
  private pieces: Pieces = { url: '', raw: [] };
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
  private gapFrom = 0; // absolute end of the previous message when known exactly (it had a body, or we paused
  // right after it), or -1: it ended with its head, and the empty lines follow that head's last CRLF CRLF
  private tailRun = 0; // CR/LF bytes (at most RUN_CAP) that end the previous chunk, at absolute `tailEnd`
  private tailEnd = 0;
  private runFrom = 0; // where in `chunk` the current llhttp run began
  private startChecked = false; // the empty lines before this message were counted
  private resetAfterPause = false; // llhttp took a trailer field for its own: start it afresh, do not resume

  private budget = 0;
  private stop = false; // a message asked to stop after it (budget, or the connection closes)
  private checkOverhead = false; // a chunked message ended: check its overhead at the pause
  private failure: HttpError | null = null; // the first failure, reported when execute returns
  private failedMethod = '';

  // Queued events, delivered after llhttp returns.
  // Slots are reused (truncating an array is not free); `queued` says how many are live.
  private kinds: number[] = [];
  private payloads: unknown[] = [];
  private queued = 0;

  constructor(limits: ParserLimits) {
    this.limits = limits;
    this.spanCapacity = 3 * (2 * limits.maxHeaderCount + 8);
    if (SPANS.length < this.spanCapacity) SPANS = new Int32Array(this.spanCapacity);
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
    this.spanCount = 0;
    this.lastKind = 0;
    this.lastEnd = -1;
    this.stage = STAGE_IDLE;
    this.trailers = null;
    this.failure = null;
    this.failedMethod = '';
    this.gapFrom = 0;
    this.tailRun = 0;
    this.tailEnd = 0;
    this.startChecked = false;
    this.resetAfterPause = false;
    this.dropEvents();
  }

  /** Detaches from its owner (the parser goes back to a free list). */
  unbind(): void {
    this.events = null;
    this.chunk = EMPTY;
    this.dropEvents();
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
    this.spanCount = 0; // spans never outlive an execute (they are flushed into strings at its end)
    this.budget = budget;
    this.stop = false;
    let at = from;
    const end = chunk.length;
    let ret: number;
    for (;;) {
      this.runFrom = at;
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
        if (this.failure === null) this.fail(this.llhttpError(ret)); // else a callback failed: llhttp says USER
        break;
      }
      // Upgrades are not supported: the request was answered as a plain one, and HTTP goes on.
      if (this.resetAfterPause) {
        this.resetAfterPause = false;
        this.llhttp.reset();
      } else if (ret === LLHTTP.PAUSED) this.llhttp.resume();
      else this.llhttp.resumeAfterUpgrade();
      if (this.stage === STAGE_IDLE) this.gapFrom = this.consumed; // the message ended exactly here
      if (this.failure === null && this.checkOverhead) {
        // A chunked message just ended here: now we know how many bytes followed its last data.
        this.checkOverhead = false;
        if (this.consumed - this.lastDataEnd > this.limits.maxChunkOverhead) {
          this.fail(this.overheadTooLarge());
          this.payloads[--this.queued] = undefined; // its end: the message failed, it did not complete
        }
      }
      if (this.failure !== null || this.stop) break;
    }
    this.deliver();
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

  private deliver(): void {
    const events = this.events;
    const kinds = this.kinds;
    const payloads = this.payloads;
    const n = this.queued;
    this.queued = 0;
    if (events === null) return;
    for (let i = 0; i < n; i++) {
      const kind = kinds[i];
      const payload = payloads[i];
      payloads[i] = undefined; // do not keep heads and chunks alive until the slot is reused
      if (kind === HEAD) events.onHead(payload as RequestHead);
      else if (kind === BODY) events.onBody(payload as Buffer);
      else events.onMessageEnd(payload as string[] | null);
    }
  }

  private emit(kind: number, payload: unknown): void {
    const i = this.queued++;
    this.kinds[i] = kind;
    this.payloads[i] = payload;
  }

  private dropEvents(): void {
    for (let i = 0; i < this.queued; i++) this.payloads[i] = undefined;
    this.queued = 0;
  }

  /** The chunk is used up mid-message: keep what the spans point at, and check the limits so far. */
  private endOfInput(): HttpError | null {
    const end = this.base + this.chunk.length;
    const run = this.runBefore(end);
    const error = this.checkEnd(end, run);
    // Kept for the next chunk (after the checks above, which may read the previous chunk's run).
    this.tailRun = run;
    this.tailEnd = end;
    return error;
  }

  private checkEnd(end: number, run: number): HttpError | null {
    if (this.stage === STAGE_IDLE) {
      // Only empty lines since the last message: refuse too many now, not when a request line comes.
      if ((this.gapFrom >= 0 ? end - this.gapFrom : run - 4) > MAX_EMPTY_BYTES) return this.tooManyEmptyLines();
    } else if (this.stage === STAGE_HEAD) {
      if (this.headStart < 0 && !this.startChecked) {
        // The message began in this run and only (part of) its method has come: it starts after the last CR/LF.
        let i = this.chunk.length;
        const floor = Math.max(this.runFrom, this.gapFrom - this.base);
        while (i > floor && !isCrLf(this.chunk[i - 1])) i--;
        const error = this.checkStart(this.base + i);
        if (error !== null) return error;
      }
      this.flush(this.pieces);
      if (this.headStart >= 0 && end - this.headStart > this.limits.maxHeaderSize) return this.headTooLarge();
      // A request line without a version ("GET /\r\n") is HTTP/0.9: llhttp waits for a header section that
      // a 0.9 client never sends. Answer now rather than at the headers timeout.
      const afterUrl = this.urlEnd - this.base;
      if (this.urlLength > 0 && afterUrl >= 0 && afterUrl < this.chunk.length) {
        const c = this.chunk[afterUrl];
        if (c === 0x0d || c === 0x0a) return new VersionNotSupportedError('HTTP/0.9 is not supported');
      }
    } else if (this.stage === STAGE_BODY) {
      if (this.trailers !== null) this.flush(this.trailers);
      if (this.chunked && end - this.lastDataEnd > this.limits.maxChunkOverhead) return this.overheadTooLarge();
    }
    return null;
  }

  /** CR/LF bytes just before absolute position `at` (at most RUN_CAP), read back through this chunk and on into
   * the run that ended the previous one. */
  private runBefore(at: number): number {
    const chunk = this.chunk;
    let i = at - this.base;
    let n = 0;
    while (i > 0 && n < RUN_CAP && isCrLf(chunk[i - 1])) {
      i--;
      n++;
    }
    if (i === 0 && this.tailEnd === this.base) n = Math.min(RUN_CAP, n + this.tailRun);
    return n;
  }

  /** Counts the empty lines before the message that starts at absolute position `start`. */
  private checkStart(start: number): HttpError | null {
    this.startChecked = true;
    const gap = this.gapFrom >= 0 ? start - this.gapFrom : this.runBefore(start) - 4;
    return gap > MAX_EMPTY_BYTES ? this.tooManyEmptyLines() : null;
  }

  private tooManyEmptyLines(): HttpError {
    return new BadRequestError(`more than ${MAX_EMPTY_LINES} empty lines before a request line`, 'H1W_TOO_MANY_EMPTY_LINES');
  }

  /** Turns the recorded spans into strings, joined onto `into`. */
  private flush(into: Pieces): void {
    const n = this.spanCount;
    if (n === 0) return;
    const spans = SPANS;
    const from = spans[1] as number;
    const text = latin1(this.chunk, from, spans[3 * n - 1] as number);
    const raw = into.raw;
    for (let i = 0; i < 3 * n; i += 3) {
      const kind = spans[i] as number;
      const piece = text.slice((spans[i + 1] as number) - from, (spans[i + 2] as number) - from);
      if (kind & CONTINUES) {
        if ((kind & 7) === URL) into.url += piece;
        else raw[raw.length - 1] += piece;
      } else if (kind === URL) {
        into.url = piece;
      } else if (kind === FIELD) {
        if (raw.length & 1) raw.push(''); // the previous field had no value span
        raw.push(piece);
      } else {
        raw.push(piece);
      }
    }
    this.spanCount = 0;
  }

  /** Records a span; returns false when there is no room (too many header fields). */
  private record(kind: number, at: number, length: number): boolean {
    const start = this.base + at;
    const continues = kind === this.lastKind && start === this.lastEnd;
    this.lastKind = kind;
    this.lastEnd = start + length;
    const spans = SPANS;
    let i = 3 * this.spanCount;
    if (continues && i > 0) {
      spans[i - 1] = at + length; // extend the span recorded in this same execute
      return true;
    }
    if (i === this.spanCapacity) return false;
    spans[i++] = continues ? kind | CONTINUES : kind;
    spans[i++] = at;
    spans[i] = at + length;
    this.spanCount++;
    return true;
  }

  private headTooLarge(): HttpError {
    return new HeadersTooLargeError(`request head larger than ${this.limits.maxHeaderSize} bytes`);
  }

  private overheadTooLarge(): HttpError {
    return new ContentTooLargeError(
      `chunk extensions or trailers larger than ${this.limits.maxChunkOverhead} bytes`,
      'H1W_CHUNK_OVERHEAD_TOO_LARGE',
    );
  }

  // ---- llhttp callbacks -------------------------------------------------------------------------------

  onMessageBegin(): number {
    this.stage = STAGE_HEAD;
    this.pieces = { url: '', raw: [] };
    this.trailers = null;
    this.headStart = -1; // known from the first URL span; before it only a (short) method has been read
    this.methodName = '';
    this.urlLength = 0;
    this.headerCount = 0;
    this.bodyBytes = 0;
    this.chunked = false;
    this.startChecked = false;
    return 0;
  }

  onUrl(at: number, length: number): number {
    if (this.urlLength === 0) {
      this.methodName = this.llhttp.method; // read once per request
      this.headStart = this.base + at - this.methodName.length - 1;
      if (!this.startChecked) {
        const error = this.checkStart(this.headStart);
        if (error !== null) return this.fail(error);
      }
    }
    this.urlLength += length;
    this.urlEnd = this.base + at + length;
    if (this.urlLength > this.limits.maxRequestLineSize) {
      return this.fail(new UriTooLongError(`request target longer than ${this.limits.maxRequestLineSize} bytes`));
    }
    this.record(URL, at, length);
    return 0;
  }

  onStatus(): number {
    return 0; // responses are not parsed here
  }

  onHeaderField(at: number, length: number): number {
    if (this.stage === STAGE_BODY && this.trailers === null) this.trailers = { url: '', raw: [] };
    const start = this.base + at;
    if (!(this.lastKind === FIELD && start === this.lastEnd) && ++this.headerCount > this.limits.maxHeaderCount) {
      return this.fail(new HeadersTooLargeError(`more than ${this.limits.maxHeaderCount} header fields`));
    }
    if (!this.record(FIELD, at, length)) {
      // The span table is full only when one execute brought more pieces than any valid head has.
      return this.fail(new HeadersTooLargeError(`more than ${this.limits.maxHeaderCount} header fields`));
    }
    return 0;
  }

  onHeaderValue(at: number, length: number): number {
    if (!this.record(VALUE, at, length)) {
      return this.fail(new HeadersTooLargeError(`more than ${this.limits.maxHeaderCount} header fields`));
    }
    return 0;
  }

  onHeadersComplete(_status: number, _upgrade: number, shouldKeepAlive: number): number {
    // The head ends with the CRLF after its last line and the empty line's CRLF.
    const end = this.lastEnd + 4;
    this.flush(this.pieces);
    if (end - this.headStart > this.limits.maxHeaderSize) return this.fail(this.headTooLarge());
    const raw = this.pieces.raw;
    if (raw.length & 1) raw.push('');
    for (let i = 1; i < raw.length; i += 2) {
      const value = raw[i] as string;
      const last = value.charCodeAt(value.length - 1);
      if (last === 0x20 || last === 0x09) raw[i] = trimTrailingOws(value);
    }
    const head: RequestHead = {
      method: this.methodName,
      target: this.pieces.url,
      versionMajor: this.llhttp.versionMajor,
      versionMinor: this.llhttp.versionMinor,
      rawHeaders: raw,
      keepAlive: shouldKeepAlive === 1,
      contentLength: -1,
      chunked: false,
      expectContinue: false,
      unknownExpectation: null,
    };
    const error = checkHead(head);
    if (error !== null) return this.fail(error);
    if (head.contentLength > this.limits.maxBodySize) {
      return this.fail(new ContentTooLargeError(`request body larger than ${this.limits.maxBodySize} bytes`));
    }
    this.keepAlive = head.keepAlive;
    this.chunked = head.chunked;
    this.lastDataEnd = end;
    this.lastKind = 0;
    this.stage = STAGE_BODY;
    this.emit(HEAD, head);
    return 0;
  }

  onBody(at: number, length: number): number {
    this.bodyBytes += length;
    if (this.bodyBytes > this.limits.maxBodySize) {
      return this.fail(new ContentTooLargeError(`request body larger than ${this.limits.maxBodySize} bytes`));
    }
    if (this.chunked) {
      const start = this.base + at;
      if (start - this.lastDataEnd > this.limits.maxChunkOverhead) return this.fail(this.overheadTooLarge());
      this.lastDataEnd = start + length;
    }
    this.bodyEnd = this.base + at + length;
    this.emit(BODY, this.chunk.subarray(at, at + length));
    return 0;
  }

  onMessageComplete(): number {
    let trailers: string[] | null = null;
    if (this.trailers !== null) {
      this.flush(this.trailers);
      trailers = this.trailers.raw;
      if (trailers.length & 1) trailers.push('');
      for (let i = 1; i < trailers.length; i += 2) trailers[i] = trimTrailingOws(trailers[i] as string);
    }
    this.emit(END, trailers);
    this.stage = STAGE_IDLE;
    this.lastKind = 0;
    // Where it ended: after its body data when it had some and was not chunked (a chunked one pauses below,
    // and the pause tells), else after its head.
    this.gapFrom = this.bodyBytes > 0 && !this.chunked ? this.bodyEnd : -1;
    // Connection handling comes from the head alone (RFC 9110 §6.5.1: a trailer field cannot change it). llhttp
    // reads Connection (and Proxy-Connection) in trailers too, and would take a `close` there as the end of
    // the connection: after a kept message with trailers, start llhttp afresh instead of resuming it.
    if (this.trailers !== null && this.keepAlive) this.resetAfterPause = true;
    if (!this.keepAlive || --this.budget <= 0) this.stop = true;
    // Chunked: pause to learn where the message ended, and check the overhead after its last data.
    if (this.chunked) {
      this.checkOverhead = true;
      return LLHTTP.PAUSED;
    }
    return this.stop ? LLHTTP.PAUSED : 0;
  }

  private llhttpError(code: number): HttpError {
    const reason = this.llhttp.errorReason();
    switch (code) {
      case LLHTTP.INVALID_VERSION:
        // A well-formed HTTP-version (DIGIT "." DIGIT) that is not 1.0 or 1.1, e.g. HTTP/1.2 or HTTP/3.0: one we
        // do not implement → 505 (RFC 9110 §15.6.6; strict llhttp cannot process 1.2 as 1.1). llhttp names that
        // case alone "Invalid HTTP version" (its digits were just read, so the version fields are this request's);
        // a malformed version ("HTTP/1.", "HTTP/12.1", "HTTP/1.1x") is a 400.
        return reason === WELL_FORMED_UNSUPPORTED_VERSION
          ? new VersionNotSupportedError(`HTTP/${this.llhttp.versionMajor}.${this.llhttp.versionMinor} is not supported`)
          : new BadRequestError(reason, 'H1W_INVALID_VERSION');
      case LLHTTP.PAUSED_H2_UPGRADE:
        return new VersionNotSupportedError('HTTP/2 is not supported on this port');
      case LLHTTP.CLOSED_CONNECTION:
        return new BadRequestError(reason, 'H1W_DATA_AFTER_CLOSE');
      default:
        return new BadRequestError(reason || 'malformed request', `H1W_${LLHTTP_NAMES[code] ?? 'MALFORMED_REQUEST'}`);
    }
  }
}
