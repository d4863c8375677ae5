// The parser's outbox: what llhttp's callbacks report (heads, body chunks, message ends) is queued while llhttp
// runs and handed to the owner after it returns, so no user code ever runs inside the WebAssembly call.
import type { RequestHead } from './request-rules.js';

/** What the parser tells its owner, in stream order, always outside the llhttp call. */
export interface ParserEvents {
  onHead(head: RequestHead): void;
  onBody(chunk: Buffer): void;
  /** The message is complete; `trailers` are the chunked trailer fields (name, value, …), or null. */
  onMessageEnd(trailers: string[] | null): void;
}

const HEAD = 0;
const BODY = 1;
const END = 2;

export class ParseEventQueue {
  // Slots are reused (truncating an array is not free); `queued` says how many are live.
  private kinds: number[] = [];
  private payloads: unknown[] = [];
  private queued = 0;

  head(head: RequestHead): void {
    this.push(HEAD, head);
  }

  body(chunk: Buffer): void {
    this.push(BODY, chunk);
  }

  end(trailers: string[] | null): void {
    this.push(END, trailers);
  }

  /** Takes back the last event queued (a message that failed after its end was queued did not complete). */
  dropLast(): void {
    this.payloads[--this.queued] = undefined;
  }

  /** Hands every queued event to `events` (or drops them when there is no owner), in order. */
  deliver(events: ParserEvents | null): void {
    const kinds = this.kinds;
    const payloads = this.payloads;
    const n = this.queued;
    this.queued = 0;
    if (events === null) {
      for (let i = 0; i < n; i++) payloads[i] = undefined;
      return;
    }
    for (let i = 0; i < n; i++) {
      const kind = kinds[i];
      const payload = payloads[i];
      payloads[i] = undefined; // do not keep heads and chunks alive until the slot is reused
      if (kind === HEAD) events.onHead(payload as RequestHead);
      else if (kind === BODY) events.onBody(payload as Buffer);
      else events.onMessageEnd(payload as string[] | null);
    }
  }

  /** Forgets every queued event. */
  clear(): void {
    this.deliver(null);
  }

  private push(kind: number, payload: unknown): void {
    const i = this.queued++;
    this.kinds[i] = kind;
    this.payloads[i] = payload;
  }
}
