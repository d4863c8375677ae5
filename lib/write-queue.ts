// The write stage: responses leave in request order, bytes go out in as few writes as possible, and nothing
// is produced while the socket is full.
//
// - Order: exchanges are queued when their heads are parsed; only the front one writes. A later response
//   that is ready early is held (the pipeline depth bounds how many).
// - Batching: bytes queued in one tick are written together at its end: adjacent strings are joined into
//   one write, mixed strings and buffers go out corked as one writev.
// - Backpressure: once the sink reports full (`write()` returned false), nothing more is taken from the
//   queue or pulled from a stream until the owner reports 'drain'. What is buffered stays under the
//   high-water mark plus one chunk.
//
// A streamed body is pulled chunk by chunk by the queue's StreamPull (stream-pull.ts), which also lets the
// event loop turn after a budget of work (fairness). What its bytes are (chunk framing, the declared length,
// trailers) is its BodyEncoder's business (body-encoder.ts), chosen from the exchange's framing; the queue
// and its StreamPull only decide when they go out. The queue never sees a socket: it writes to a WriteSink,
// which the connection implements.
import { nextTick } from 'node:process';
import type { BodyOutput } from './body-encoder.js';
import { sliceSource } from './body-source.js';
import { CONTINUE_DUE, CONTINUE_SENT, EX_DONE, EX_READY, EX_SENDING, type Exchange } from './exchange.js';
import { FRAME_NONE } from './frame.js';
import type { Chunk } from './serializers/serializer.js';
import { StreamPull } from './stream-pull.js';

export interface WriteSink {
  write(data: Chunk, encoding: BufferEncoding): boolean;
  cork(): void;
  uncork(): void;
  /** Bytes written but not yet handed to the kernel. */
  readonly writableLength: number;
}

export interface QueueOwner {
  /** May the front exchange's response be sent now? (The connection holds some back; see releasable.) */
  releasable(ex: Exchange): boolean;
  /** Frames the head just before its first byte goes out, when keep-alive vs close is finally known. */
  frame(ex: Exchange): void;
  /** Every byte of the response has been queued. */
  responseDone(ex: Exchange): void;
  /** A streamed body failed before any byte of its response was written: it can still be answered (500). */
  failedBeforeHead(ex: Exchange, error: unknown): void;
  /** A streamed body failed or broke its declared length after its head went out. */
  streamFailed(ex: Exchange, error: unknown): void;
  /** Bytes were handed to the sink (for stats, hooks and traces). */
  wrote(bytes: number, writes: number): void;
  /** The front exchange accepted an upgrade: every response before it is flushed; the socket goes. */
  handOff(ex: Exchange): void;
  /** The sink is full / has drained. */
  blocked(): void;
  drained(): void;
}

const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';

export class WriteQueue implements BodyOutput {
  /** Responses in request order; the first is the one being written. */
  exchanges: Exchange[] = [];
  /** The sink refused more: waiting for 'drain'. */
  blocked = false;

  private readonly sink: WriteSink;
  private readonly owner: QueueOwner;
  private readonly highWaterMark: number;

  // Bytes queued in this tick, not yet written: the first `pendingCount` slots. The arrays keep their storage
  // from write to write (setting `length = 0` would drop it, and the next push would allocate it again).
  private pending: Chunk[] = [];
  private encodings: BufferEncoding[] = [];
  private pendingCount = 0;
  private pendingBytes = 0;
  private batching = 0;
  private flushScheduled = false;
  private closed = false;
  /** The front exchange's streamed body, when it has one, is pulled here. */
  private readonly streamPull: StreamPull;

  constructor(sink: WriteSink, owner: QueueOwner, highWaterMark: number) {
    this.sink = sink;
    this.owner = owner;
    this.highWaterMark = highWaterMark;
    this.streamPull = new StreamPull(this, owner, highWaterMark);
  }

  /** Bytes that will be written at the end of this tick. */
  get queuedBytes(): number {
    return this.pendingBytes;
  }

  /** While a batch is open, writes wait for `endBatch` (one read's worth of responses → one write). */
  beginBatch(): void {
    this.batching++;
  }

  endBatch(): void {
    if (--this.batching === 0) this.flush();
  }

  enqueue(ex: Exchange): void {
    this.exchanges.push(ex);
  }

  /** Writes whatever can go now, in order. Call when an exchange becomes ready or releasable, or on drain. */
  pump(): void {
    const exchanges = this.exchanges;
    while (!this.blocked && !this.closed && exchanges.length > 0) {
      const ex = exchanges[0] as Exchange;
      if (ex.continueState === CONTINUE_DUE) {
        ex.continueState = CONTINUE_SENT;
        this.push(CONTINUE, 'latin1', CONTINUE.length);
      }
      if (ex.state !== EX_READY || !this.owner.releasable(ex)) break;
      if (ex.upgradeTo !== null) {
        this.flush();
        this.owner.handOff(ex);
        return;
      }
      // Keep the batch under the high-water mark; the rest goes after the drain.
      if (this.pendingBytes > 0 && this.pendingBytes + this.sink.writableLength >= this.highWaterMark) {
        this.flush();
        continue;
      }
      this.owner.frame(ex);
      const res = ex.response;
      if (res === null) break; // cannot happen once READY; keeps the types honest
      const sendsBody = !ex.isHead && ex.framing !== FRAME_NONE;
      if (res.source !== null && sendsBody) {
        // A stream: its head is written by StreamPull, with the first chunk when that comes at once.
        ex.moveTo(EX_SENDING);
        void this.streamPull.pull(ex);
        break; // the stream pumps again when it ends
      }
      const body = res.whole;
      if (sendsBody && body !== null && res.byteLength > this.highWaterMark) {
        // A large whole body leaves in slices as the socket drains, through the stream path (see sliceSource).
        res.source = sliceSource(body, this.highWaterMark);
        ex.moveTo(EX_SENDING);
        void this.streamPull.pull(ex);
        break;
      }
      if (sendsBody && body !== null && typeof body === 'string' && (res.byteLength === body.length || !res.headers.latin1)) {
        // The common case: head and body as one string, one write. An ASCII body (its UTF-8 length is its
        // length) goes as latin1, which Node writes several times faster than UTF-8 for the same bytes.
        this.push(ex.head + body, res.byteLength === body.length ? 'latin1' : 'utf8', ex.head.length + res.byteLength);
        ex.bodyBytes = res.byteLength;
      } else {
        this.push(ex.head, 'latin1', ex.head.length);
        if (sendsBody && body !== null) {
          this.push(body, 'utf8', res.byteLength);
          ex.bodyBytes = res.byteLength;
        }
      }
      if (res.source !== null) ex.cancelSource(undefined); // HEAD, 204, 304: the stream is never read
      this.complete(ex);
    }
    if (this.pendingBytes > 0) this.scheduleFlush();
  }

  /** The sink drained: go on writing and pulling. */
  onDrain(): void {
    if (!this.blocked) return;
    this.blocked = false;
    this.streamPull.drained();
    this.owner.drained();
    this.pump();
  }

  /** The connection is gone: stop everything, cancel every stream that has not finished. */
  close(reason: unknown): void {
    if (this.closed) return;
    this.closed = true;
    this.pending = [];
    this.encodings = [];
    this.pendingCount = 0;
    this.pendingBytes = 0;
    for (const ex of this.exchanges) {
      ex.aborted = true;
      ex.cancelSource(reason);
    }
    this.exchanges.length = 0;
    this.streamPull.close();
  }

  /** Nothing queued, scheduled or awaited: an idle connection may drop this queue (a new one is the same). */
  get vacant(): boolean {
    return (
      this.exchanges.length === 0 &&
      this.pendingCount === 0 &&
      this.batching === 0 &&
      !this.flushScheduled &&
      !this.blocked &&
      !this.closed &&
      this.streamPull.idle
    );
  }

  /** Writes what this tick queued. */
  flush(): void {
    this.flushScheduled = false;
    const n = this.pendingCount;
    if (n === 0 || this.closed) return;
    const pending = this.pending;
    const encodings = this.encodings;
    const bytes = this.pendingBytes;
    let ok: boolean;
    if (n === 1) {
      ok = this.sink.write(pending[0] as Chunk, encodings[0] as BufferEncoding);
    } else {
      this.sink.cork();
      ok = true;
      for (let i = 0; i < n; i++) ok = this.sink.write(pending[i] as Chunk, encodings[i] as BufferEncoding);
      this.sink.uncork();
    }
    for (let i = 0; i < n; i++) pending[i] = ''; // let go of what was written (a large Buffer above all)
    this.pendingCount = 0;
    this.pendingBytes = 0;
    this.owner.wrote(bytes, n);
    if (!ok && !this.blocked) {
      this.blocked = true;
      this.owner.blocked();
    }
  }

  private scheduleFlush(): void {
    if (this.batching > 0 || this.flushScheduled) return;
    this.flushScheduled = true;
    nextTick(flushQueue, this);
  }

  /** Queues bytes for the end of this tick, joined onto the last string when it has the same encoding. */
  push(data: Chunk, encoding: BufferEncoding, byteLength: number): void {
    const last = this.pendingCount - 1;
    if (typeof data === 'string' && last >= 0 && typeof this.pending[last] === 'string' && this.encodings[last] === encoding) {
      this.pending[last] += data;
    } else {
      this.pending[last + 1] = data;
      this.encodings[last + 1] = encoding;
      this.pendingCount = last + 2;
    }
    this.pendingBytes += byteLength;
  }

  /** Every byte of the front exchange's response is queued: it is done and leaves the queue. */
  complete(ex: Exchange): void {
    ex.moveTo(EX_DONE);
    this.exchanges.shift();
    this.owner.responseDone(ex);
  }
}

function flushQueue(queue: WriteQueue): void {
  queue.flush();
}
