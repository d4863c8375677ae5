// One request and its response as they move through the stages. The connection creates it when a head is
// parsed, the handler's outcome fills in the response, and the write queue sends it in its turn.
import type { UpgradeCallback } from './upgrade.js';
import type { BodySource } from './body-source.js';
import type { HttpError } from './errors.js';
import type { HandlerOutcome } from './handle.js';
import type { Request } from './request.js';
import type { BodyOwner, RequestBody } from './request-body.js';
import type { Serialized } from './serialize.js';
import { FRAME_NONE, type Framing } from './frame.js';
import type { CloseReason } from './stages.js';

/** The connection, as an exchange sees it. */
export interface ExchangeOwner {
  settled(ex: Exchange, value: unknown): void;
  failed(ex: Exchange, error: unknown): void;
  bodyRequested(ex: Exchange): void;
  bodyDrained(ex: Exchange): void;
}

/** Where the response is. Every move goes through Exchange.moveTo, which knows the legal ones. */
export const EX_HANDLING = 0; // the handler has not settled yet
export const EX_READY = 1; // serialized, waiting for its turn (and for the request, see keep-alive.ts release)
export const EX_SENDING = 2; // head written; a streamed body is being pulled
export const EX_DONE = 3; // every byte queued (or the exchange failed on its own)
export type ExchangeState = typeof EX_HANDLING | typeof EX_READY | typeof EX_SENDING | typeof EX_DONE;
export const EXCHANGE_STATE_NAMES = ['handling', 'ready', 'sending', 'done'] as const;

/** Legal moves, as bit sets of target states per state. READY → READY replaces an answer not yet sent (an
 * error wins over a value); SENDING → READY answers 500 for a stream that failed before its first byte. */
const MOVES: readonly number[] = [
  /* handling */ (1 << EX_READY) | (1 << EX_DONE),
  /* ready    */ (1 << EX_READY) | (1 << EX_SENDING) | (1 << EX_DONE),
  /* sending  */ (1 << EX_READY) | (1 << EX_DONE),
  /* done     */ 0,
];

/** Checking moves costs a table lookup per move; on where tests run (H1W_CHECK_STATES=1), off in production. */
const CHECK_MOVES = process.env.H1W_CHECK_STATES === '1';

export class IllegalTransitionError extends Error {
  readonly code = 'H1W_ILLEGAL_TRANSITION';
  constructor(from: ExchangeState, to: ExchangeState) {
    super(`exchange cannot move from ${EXCHANGE_STATE_NAMES[from]} to ${EXCHANGE_STATE_NAMES[to]}`);
  }
}

/** Whether an exchange may move from `from` to `to`. */
export function canMove(from: ExchangeState, to: ExchangeState): boolean {
  return ((MOVES[from] as number) & (1 << to)) !== 0;
}

/** 100 Continue. */
export const CONTINUE_NONE = 0; // not asked for
export const CONTINUE_WANTED = 1; // asked for; sent when the handler reads the body
export const CONTINUE_DUE = 2; // the handler reads: send it when this exchange's turn comes
export const CONTINUE_SENT = 3;
export type ContinueState = typeof CONTINUE_NONE | typeof CONTINUE_WANTED | typeof CONTINUE_DUE | typeof CONTINUE_SENT;

/** What a parsed head tells an exchange. */
export interface RequestFacts {
  isHead: boolean;
  http11: boolean;
  keepAlive: boolean;
  contentLength: number;
  hasBody: boolean;
}

export class Exchange implements HandlerOutcome, BodyOwner {
  readonly owner: ExchangeOwner;
  /** Null for a protocol error that has no request of its own (garbage where a head should be). */
  request: Request | null = null;
  body: RequestBody | null = null;
  readonly isHead: boolean;
  readonly http11: boolean;
  /** The request allows the connection to be kept (version and Connection header). */
  readonly keepAlive: boolean;
  /** The request's Content-Length, or -1 (chunked, or none). */
  readonly contentLength: number;
  /** This request's body limit, when the server sets one per request (else the parser enforces its own). */
  bodyLimit = Infinity;

  /** Read it; change it only through moveTo. */
  state: ExchangeState = EX_HANDLING;
  requestComplete: boolean;
  continueState: ContinueState = CONTINUE_NONE;

  /** The response to send, once serialized. */
  response: Serialized | null = null;
  /** The handler accepted an upgrade: the socket goes to this when the exchange reaches the front. */
  upgradeTo: UpgradeCallback | null = null;
  /** The error this exchange answers with, if any. */
  error: HttpError | null = null;
  /** The head as written, once framed. */
  head = '';
  framing: Framing = FRAME_NONE;
  /** The connection closes after this response, and why. */
  closeAfter = false;
  closeReason: CloseReason = 'client-asked';
  /** Body bytes written so far (to enforce a declared length). */
  bodyBytes = 0;
  /** The connection went away: stop pulling. */
  aborted = false;

  // Per-stage timestamps (performance.now()), when timings are on.
  tStart = 0;
  tDispatch = 0;
  tSettled = 0;
  tSerialized = 0;
  tFramed = 0;

  private constructor(owner: ExchangeOwner, isHead: boolean, http11: boolean, keepAlive: boolean, contentLength: number, complete: boolean) {
    this.owner = owner;
    this.isHead = isHead;
    this.http11 = http11;
    this.keepAlive = keepAlive;
    this.contentLength = contentLength;
    this.requestComplete = complete;
  }

  /** The exchange of a parsed request head. */
  static forRequest(owner: ExchangeOwner, f: RequestFacts): Exchange {
    return new Exchange(owner, f.isHead, f.http11, f.keepAlive, f.contentLength, !f.hasBody);
  }

  /** The answer to input that never became a request (garbage or silence where a head should be). It is
   * HTTP/1.1, closes the connection, and has no body to wait for. */
  static forUnparsed(owner: ExchangeOwner, isHead: boolean): Exchange {
    return new Exchange(owner, isHead, true, false, -1, true);
  }

  /** Moves to `to`; an illegal move throws where moves are checked (tests), and is trusted elsewhere. */
  moveTo(to: ExchangeState): void {
    if (CHECK_MOVES && !canMove(this.state, to)) throw new IllegalTransitionError(this.state, to);
    this.state = to;
  }

  /** Marks the connection to close after this response (the first reason given is kept). */
  closeWith(reason: CloseReason): void {
    if (this.closeAfter) return;
    this.closeAfter = true;
    this.closeReason = reason;
  }

  // HandlerOutcome and BodyOwner: forwarded to the connection with this exchange.
  settle(value: unknown): void {
    this.owner.settled(this, value);
  }

  fail(error: unknown): void {
    this.owner.failed(this, error);
  }

  bodyRequested(): void {
    this.owner.bodyRequested(this);
  }

  bodyDrained(): void {
    this.owner.bodyDrained(this);
  }

  get source(): BodySource | null {
    return this.response === null ? null : this.response.source;
  }

  /** Cancels a streamed body that will never be (fully) sent. */
  cancelSource(reason: unknown): void {
    const source = this.source;
    if (source !== null && this.response !== null) {
      this.response.source = null;
      try {
        source.cancel(reason);
      } catch {
        // a producer that throws on cancel is already gone
      }
    }
  }
}
