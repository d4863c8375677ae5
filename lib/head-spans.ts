// Where the pieces of a request head are, while llhttp reads it: spans (kind, start, end) recorded by its
// callbacks, turned into strings once per execute. One latin1 string is made per flush and the pieces are
// sliced out of it (a string per callback is the slow way: about half the throughput). A span cut by the end
// of a chunk continues at the start of the next; two distinct spans never touch (a delimiter stands between).

export const URL = 1;
export const FIELD = 2;
export const VALUE = 3;
const CONTINUES = 8; // flag on a span kind: it continues the previous piece of the same kind

/** The strings of a head (or a trailer section) so far: the target and the fields as name, value, … */
export interface Pieces {
  url: string;
  raw: string[];
}

// One span table for all parsers: parsing is synchronous and spans are turned into strings before execute
// returns, so no parser needs a table of its own between reads (it would cost 6 KiB per idle connection).
let SPANS = new Int32Array(0);

export function latin1(chunk: Buffer, from: number, to: number): string {
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

/** Completes a field list: a last name without a value gets "", values lose trailing whitespace. Kept small, as
 * flush is: both are inlined into the parser's onHeadersComplete, which V8 inlines into the llhttp callback only
 * while all it inlines stays under V8's budget (about 28 ns a request when it does not). */
export function finishFields(raw: string[]): string[] {
  if (raw.length & 1) raw.push('');
  for (let i = 1; i < raw.length; i += 2) {
    const value = raw[i] as string;
    // SP and HTAB are the only bytes <= 0x20 llhttp lets into a value (and all the trim removes); '' gives NaN.
    if (value.charCodeAt(value.length - 1) <= 0x20) raw[i] = trimTrailingOws(value);
  }
  return raw;
}

/** Joins `piece` onto the piece of `kind` (with CONTINUES) that an earlier read began (rare: kept out of flush). */
function extend(into: Pieces, kind: number, piece: string): void {
  if ((kind & 7) === URL) into.url += piece;
  else into.raw[into.raw.length - 1] += piece;
}

export class SpanRecorder {
  private readonly capacity: number;
  private count = 0;
  /** Kind of the last span recorded (across executes), for continuations; 0 after a head or message. */
  lastKind = 0;
  /** Its absolute end. */
  lastEnd = -1;

  constructor(maxFields: number) {
    this.capacity = 3 * (2 * maxFields + 8);
    if (SPANS.length < this.capacity) SPANS = new Int32Array(this.capacity);
  }

  reset(): void {
    this.count = 0;
    this.lastKind = 0;
    this.lastEnd = -1;
  }

  /** A new execute: spans never outlive one (they are flushed into strings at its end). */
  beginExecute(): void {
    this.count = 0;
  }

  /** Whether a span of `kind` starting at absolute `start` continues the last one (cut by a chunk's end). */
  continues(kind: number, start: number): boolean {
    return kind === this.lastKind && start === this.lastEnd;
  }

  /** Records a span at chunk offset `at` (absolute `base + at`); false when the table is full. */
  record(kind: number, base: number, at: number, length: number): boolean {
    const continues = this.continues(kind, base + at);
    this.lastKind = kind;
    this.lastEnd = base + at + length;
    const spans = SPANS;
    let i = 3 * this.count;
    if (continues && i > 0) {
      spans[i - 1] = at + length; // extend the span recorded in this same execute
      return true;
    }
    if (i === this.capacity) return false;
    spans[i++] = continues ? kind | CONTINUES : kind;
    spans[i++] = at;
    spans[i] = at + length;
    this.count++;
    return true;
  }

  /** Turns the recorded spans of `chunk` into strings, joined onto `into`. */
  flush(chunk: Buffer, into: Pieces): void {
    const n = this.count;
    if (n === 0) return;
    const spans = SPANS;
    const from = spans[1] as number;
    const text = latin1(chunk, from, spans[3 * n - 1] as number);
    const raw = into.raw;
    for (let i = 0; i < 3 * n; i += 3) {
      const kind = spans[i] as number;
      const piece = text.slice((spans[i + 1] as number) - from, (spans[i + 2] as number) - from);
      if (kind === URL) into.url = piece;
      else if (kind & CONTINUES) extend(into, kind, piece);
      else {
        if (kind === FIELD && raw.length & 1) raw.push(''); // the previous field had no value span
        raw.push(piece);
      }
    }
    this.count = 0;
  }
}
