// Where the pieces of a request head are, while llhttp reads it: spans (kind, start, end) recorded by its
// callbacks, gathered once per execute into one latin1 string and an offset table (head-fields.ts): one
// string per flush, no string per field. A span cut by the end of a chunk continues at the start of the
// next; two distinct spans never touch (a delimiter stands between).

export const URL = 1;
export const FIELD = 2;
export const VALUE = 3;
const CONTINUES = 8; // flag on a span kind: it continues the previous piece of the same kind

/** A head (or a trailer section) so far: the target, and the fields as text + offsets (see HeadFields). */
export interface Pieces {
  url: string;
  text: string;
  /** name start, name end, value start, value end per field, into `text` (a last field may lack its value).
   * Scratch, reused from head to head: `n` entries are live, and finishFields copies them out. */
  at: number[];
  n: number;
}

export function newPieces(): Pieces {
  return { url: '', text: '', at: [], n: 0 };
}

/** Empties `pieces` for the next head, keeping its offset table's storage. */
export function clearPieces(pieces: Pieces): void {
  pieces.url = '';
  pieces.text = '';
  pieces.n = 0;
}

function put(into: Pieces, start: number, end: number): void {
  const at = into.at;
  const n = into.n;
  at[n] = start;
  at[n + 1] = end;
  into.n = n + 2;
}

// One span table for all parsers: parsing is synchronous and spans are gathered before execute returns, so
// no parser needs a table of its own between reads (it would cost 6 KiB per idle connection).
let SPANS = new Int32Array(0);

export function latin1(chunk: Buffer, from: number, to: number): string {
  return (chunk as unknown as { latin1Slice(a: number, b: number): string }).latin1Slice(from, to);
}

/** Completes a field table: a last name without a value gets "", values lose trailing whitespace (llhttp
 * leaves it in the span). Kept small, as flush is: both are inlined into the parser's onHeadersComplete, which
 * V8 inlines into the llhttp callback only while all it inlines stays under V8's budget. */
export function finishFields(pieces: Pieces): number[] {
  const at = pieces.at;
  if (pieces.n & 2) put(pieces, 0, 0);
  const n = pieces.n;
  const text = pieces.text;
  for (let i = 3; i < n; i += 4) {
    let end = at[i] as number;
    // SP and HTAB are the only bytes <= 0x20 llhttp lets into a value (and all the trim removes).
    if (end > (at[i - 1] as number) && text.charCodeAt(end - 1) <= 0x20) {
      do end--;
      while (end > (at[i - 1] as number) && text.charCodeAt(end - 1) <= 0x20);
      at[i] = end;
    }
  }
  return at.slice(0, n);
}

/** Continues the piece of `kind` (with CONTINUES) that an earlier read began (rare: kept out of flush). */
function extend(into: Pieces, kind: number, piece: string, end: number): void {
  if ((kind & 7) === URL) into.url += piece;
  else into.at[into.n - 1] = end; // adjacent in the joined text: only its end moves
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

  /** Gathers the recorded spans of `chunk` onto `into`: their text joins `into.text`, their offsets its table. */
  flush(chunk: Buffer, into: Pieces): void {
    const n = this.count;
    if (n === 0) return;
    const spans = SPANS;
    const from = spans[1] as number;
    const part = latin1(chunk, from, spans[3 * n - 1] as number);
    // A span cut by the previous chunk's end ended that part, and its continuation begins this one: the two
    // stay adjacent in the joined text.
    const joined = into.text.length;
    into.text = joined === 0 ? part : into.text + part;
    for (let i = 0; i < 3 * n; i += 3) {
      const kind = spans[i] as number;
      const start = (spans[i + 1] as number) - from; // in `part`
      const end = (spans[i + 2] as number) - from;
      if (kind === FIELD) {
        if (into.n & 2) put(into, 0, 0); // the previous field had no value span
        put(into, joined + start, joined + end);
      } else if (kind === VALUE) put(into, joined + start, joined + end);
      else if (kind === URL) into.url = part.slice(start, end);
      else extend(into, kind, part.slice(start, end), joined + end);
    }
    this.count = 0;
  }
}
