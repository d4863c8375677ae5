// Empty lines before a request line (RFC 9112 §2.2): llhttp skips any mix of CR and LF there without a word,
// so they are counted from positions alone, across reads, and too many are refused (parse-errors.ts).
import type { HttpError } from './errors.js';
import { MAX_EMPTY_LINES, tooManyEmptyLines } from './parse-errors.js';

const MAX_EMPTY_BYTES = 2 * MAX_EMPTY_LINES;
/** A run of CR/LF bytes is only read far enough to tell it is too long (with the 4 of a head's last CRLF CRLF). */
const RUN_CAP = MAX_EMPTY_BYTES + 5;

function isCrLf(c: number | undefined): boolean {
  return c === 0x0d || c === 0x0a;
}

/** Positions are absolute (bytes since the parser was bound); `chunk[0]` is at `base`. */
export class EmptyLineCounter {
  /** Absolute end of the previous message when known exactly (it had a body, or parsing paused right after
   * it), or -1: it ended with its head, and the empty lines follow that head's last CRLF CRLF. */
  gapFrom = 0;
  /** The empty lines before the current message were counted. */
  startChecked = false;
  /** Where in the chunk the current llhttp run began. */
  runFrom = 0;
  private tailRun = 0; // CR/LF bytes (at most RUN_CAP) that end the previous chunk, at absolute `tailEnd`
  private tailEnd = 0;

  reset(): void {
    this.gapFrom = 0;
    this.startChecked = false;
    this.runFrom = 0;
    this.tailRun = 0;
    this.tailEnd = 0;
  }

  /** CR/LF bytes just before absolute position `at` (at most RUN_CAP), read back through this chunk and on into
   * the run that ended the previous one. */
  runBefore(chunk: Buffer, base: number, at: number): number {
    let i = at - base;
    let n = 0;
    while (i > 0 && n < RUN_CAP && isCrLf(chunk[i - 1])) {
      i--;
      n++;
    }
    if (i === 0 && this.tailEnd === base) n = Math.min(RUN_CAP, n + this.tailRun);
    return n;
  }

  /** The chunk ended: remember the CR/LF run at its end for the next one (after the checks that read it). */
  chunkEnded(run: number, end: number): void {
    this.tailRun = run;
    this.tailEnd = end;
  }

  /** Between messages, only empty lines so far: too many is refused now, not when a request line comes. */
  idleCheck(end: number, run: number): HttpError | null {
    return (this.gapFrom >= 0 ? end - this.gapFrom : run - 4) > MAX_EMPTY_BYTES ? tooManyEmptyLines() : null;
  }

  /** Counts the empty lines before the message that starts at absolute position `start`. */
  checkStart(chunk: Buffer, base: number, start: number): HttpError | null {
    this.startChecked = true;
    const gap = this.gapFrom >= 0 ? start - this.gapFrom : this.runBefore(chunk, base, start) - 4;
    return gap > MAX_EMPTY_BYTES ? tooManyEmptyLines() : null;
  }

  /** A message began in this run and only (part of) its method has come: it starts after the last CR/LF. */
  checkMethodOnly(chunk: Buffer, base: number): HttpError | null {
    let i = chunk.length;
    const floor = Math.max(this.runFrom, this.gapFrom - base);
    while (i > floor && !isCrLf(chunk[i - 1])) i--;
    return this.checkStart(chunk, base, base + i);
  }
}
