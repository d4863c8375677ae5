// The pull loop of a write queue's streamed bodies: a body's chunks are asked for one by one, only while the
// sink takes more, and framed into the queue by the body's BodyEncoder (body-encoder.ts).
//
// - The head: the producer gets one turn of the event loop before the head goes out. A first chunk ready by
//   then leaves in the same write as the head, and a producer that fails at once still gets a clean 500
//   (nothing was sent). A slow producer's head does not wait for it.
// - Batching: chunks ready in the same turn are framed into one write at its end (or earlier, once a
//   high-water mark of them is queued).
// - Fairness: a producer whose chunks are always ready at once (a generator of tiny chunks never waits for
//   I/O) would otherwise never let the event loop turn: after STREAM_TURN_WORK of framing work the stream
//   waits for the next turn, so other connections are served in between.
// - Large chunks: a chunk larger than the high-water mark leaves in slices as the socket drains, as a large
//   whole body does, so a steady slow reader shows progress slice by slice.
//
// One StreamPull belongs to one WriteQueue, which starts a pull for its front exchange and tells it of
// 'drain' and close. Only the front exchange writes, so at most one stream is pulled at a time.
import { Buffer } from 'node:buffer';
import { bodyEncoder, type BodyEncoder } from './body-encoder.js';
import { StreamAbortedError } from './errors.js';
import type { Exchange } from './exchange.js';
import { BODY_WHOLE, headerBlock } from './frame.js';
import type { HeaderInput } from './result.js';
import type { Chunk } from './serializers/serializer.js';
import type { QueueOwner, WriteQueue } from './write-queue.js';

/** Framing work (bytes, each chunk counted as at least STREAM_CHUNK_WORK) a stream may do before it lets the
 * event loop turn: ~1 ms of work, so one connection's fast producer cannot starve the others. */
const STREAM_TURN_WORK = 256 * 1024;
/** What one chunk costs beyond its bytes (its promise, framing line, bookkeeping), in byte-equivalents. */
const STREAM_CHUNK_WORK = 256;

export class StreamPull {
  private readonly queue: WriteQueue;
  private readonly owner: QueueOwner;
  private readonly highWaterMark: number;
  private drainWaiter: (() => void) | null = null;
  private turnScheduled = false;
  private turnWaiter: (() => void) | null = null;

  constructor(queue: WriteQueue, owner: QueueOwner, highWaterMark: number) {
    this.queue = queue;
    this.owner = owner;
    this.highWaterMark = highWaterMark;
  }

  /** Nothing scheduled or awaited. */
  get idle(): boolean {
    return !this.turnScheduled && this.drainWaiter === null && this.turnWaiter === null;
  }

  /** The sink drained: a stream waiting for it goes on. */
  drained(): void {
    const waiter = this.drainWaiter;
    this.drainWaiter = null;
    if (waiter !== null) waiter();
  }

  /** The queue closed: a stream waiting for a drain or a turn wakes to find its exchange aborted. */
  close(): void {
    this.drained();
    const turn = this.turnWaiter;
    this.turnWaiter = null;
    if (turn !== null) turn();
  }

  /** Sends the front exchange's streamed body, head first; the exchange is done (or failed) when it resolves. */
  async pull(ex: Exchange): Promise<void> {
    const res = ex.response;
    const source = ex.source;
    if (res === null || source === null) return;
    const queue = this.queue;
    const encoder = bodyEncoder(ex.framing, res.kind === BODY_WHOLE ? res.byteLength : res.declaredLength);
    let headSent = false;
    const sendHead = (): void => {
      headSent = true;
      queue.push(ex.head, 'latin1', ex.head.length);
    };
    let work = 0; // framing work done in this turn of the event loop
    let next: Promise<Chunk | null> | null = source.next();
    try {
      const settled = await Promise.race([next.then(yes, yes), oneTurn()]);
      if (ex.aborted) return;
      if (!settled) {
        sendHead();
        queue.flush();
      }
      for (;;) {
        if (next === null) {
          if (work >= STREAM_TURN_WORK) {
            await this.nextTurn();
            work = 0;
          }
          if (queue.blocked) await this.waitForDrain();
          if (ex.aborted) return;
          next = source.next();
        }
        const chunk = await next;
        next = null;
        if (ex.aborted) return;
        if (!headSent) sendHead();
        if (chunk === null) break;
        const size = typeof chunk === 'string' ? Buffer.byteLength(chunk, 'utf8') : chunk.byteLength;
        ex.bodyBytes += size;
        if (size > this.highWaterMark) {
          encoder.begin(size, queue);
          if (!(await this.pushSlices(ex, encoder, chunk))) return;
          encoder.finish(queue);
          work = STREAM_TURN_WORK; // a large chunk is a turn's work on its own
          continue;
        }
        encoder.data(chunk, size, queue);
        work += size > STREAM_CHUNK_WORK ? size : STREAM_CHUNK_WORK;
        if (queue.queuedBytes >= this.highWaterMark) queue.flush();
        else this.flushAtTurnEnd();
      }
      let trailers = '';
      if (encoder.carriesTrailers) {
        trailers = await trailerText(res.trailers);
        if (ex.aborted) return;
      }
      encoder.end(trailers, queue);
      res.source = null;
      queue.complete(ex);
      queue.pump();
      queue.flush();
    } catch (error) {
      if (ex.aborted) return;
      res.source = null;
      source.cancel(error);
      if (!headSent) {
        this.owner.failedBeforeHead(ex, error);
        return;
      }
      queue.flush(); // what the stream produced before it failed still goes out, then the reset
      const failure =
        error instanceof StreamAbortedError ? error : new StreamAbortedError('the streamed body failed', 'H1W_STREAM_FAILED', error);
      this.owner.streamFailed(ex, failure);
    }
  }

  /** Queues the data of a chunk begun with the encoder in slices of the high-water mark, each after the last
   * drained. False if the connection went away meanwhile. */
  private async pushSlices(ex: Exchange, encoder: BodyEncoder, chunk: Chunk): Promise<boolean> {
    const queue = this.queue;
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    for (let at = 0; at < bytes.byteLength; at += this.highWaterMark) {
      if (queue.blocked) await this.waitForDrain();
      if (ex.aborted) return false;
      encoder.slice(bytes.subarray(at, at + this.highWaterMark), queue);
      queue.flush();
    }
    return true;
  }

  private waitForDrain(): Promise<void> {
    return new Promise((resolve) => {
      this.drainWaiter = resolve;
    });
  }

  /** Writes what is queued at the end of this turn of the event loop (setImmediate: after I/O callbacks). */
  private flushAtTurnEnd(): void {
    if (this.turnScheduled) return;
    this.turnScheduled = true;
    setImmediate(endTurn, this);
  }

  /** Resolves in the next turn of the event loop, after what is queued was written. */
  private nextTurn(): Promise<void> {
    this.flushAtTurnEnd();
    return new Promise((resolve) => {
      this.turnWaiter = resolve;
    });
  }

  /** @internal (endTurn) */
  turnEnded(): void {
    this.turnScheduled = false;
    this.queue.flush();
    const waiter = this.turnWaiter;
    this.turnWaiter = null;
    if (waiter !== null) waiter();
  }
}

function endTurn(pull: StreamPull): void {
  pull.turnEnded();
}

function yes(): boolean {
  return true;
}

/** Resolves false after the event loop has turned once (I/O and timers due have run). */
function oneTurn(): Promise<boolean> {
  return new Promise((resolve) => setImmediate(resolve, false));
}

async function trailerText(trailers: HeaderInput | (() => HeaderInput | Promise<HeaderInput>) | undefined): Promise<string> {
  if (trailers === undefined) return '';
  const fields = typeof trailers === 'function' ? await trailers() : trailers;
  return headerBlock(fields).text;
}
