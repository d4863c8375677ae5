// The request body as user code sees it: an async iterable of Buffers, with text(), json() and bytes().
//
// Backpressure: chunks the handler has not read yet are buffered here; past the high-water mark the owner
// (the connection) stops reading the socket, and resumes when the handler has read below it again.
import { Buffer } from 'node:buffer';
import { HttpError } from './errors.js';

/** What the body tells the connection that feeds it. */
export interface BodyOwner {
  /** The handler asked for body bytes for the first time (time for `100 Continue`). */
  bodyRequested(): void;
  /** Buffered bytes fell below the high-water mark: reading may resume. */
  bodyDrained(): void;
}

type Waiter = {
  resolve(result: IteratorResult<Buffer>): void;
  reject(error: unknown): void;
};

/** Chunks smaller than this are copied into a shared segment rather than kept as they came: a client that
 * sends a body as thousands of one-byte chunks costs their bytes, not a Buffer object (and a reference to
 * the whole socket read they were cut from) each. */
const COALESCE_BELOW = 4 * 1024;
/** The size of the segments small chunks are copied into. */
const SEGMENT_SIZE = 16 * 1024;

export class RequestBody implements AsyncIterable<Buffer> {
  /** Body bytes received so far (read or not). */
  received = 0;
  /** Trailer fields of a chunked body (name, value, …), once it has ended. */
  trailers: string[] | null = null;

  // What has arrived and not been read: whole chunks, then the filled part of the open segment.
  private chunks: Buffer[] = [];
  private segment: Buffer | null = null;
  private segmentStart = 0; // bytes before this were handed out already
  private segmentEnd = 0;
  private buffered = 0;
  private ended = false;
  private error: unknown = null;
  private waiter: Waiter | null = null;
  /** bytes(): the whole body is being collected; resolved (or rejected) at the end. */
  private collector: { resolve(): void; reject(error: unknown): void } | null = null;
  private collecting = false;
  private requested = false;
  private locked = false;
  private discarding = false;
  private readonly owner: BodyOwner | null;
  private readonly highWaterMark: number;

  constructor(owner: BodyOwner | null, highWaterMark: number) {
    this.owner = owner;
    this.highWaterMark = highWaterMark;
  }

  /** The whole body has arrived. */
  get complete(): boolean {
    return this.ended;
  }

  /** The handler has started reading. */
  get used(): boolean {
    return this.requested;
  }

  /** Nobody will read the rest: the reader cancelled it, or the server dropped it. */
  get discarded(): boolean {
    return this.discarding;
  }

  /** More is buffered than the high-water mark allows: the socket should stop being read. (Not while the
   * whole body is being collected: that reader takes everything, up to the body limit.) */
  get full(): boolean {
    return !this.collecting && this.buffered >= this.highWaterMark;
  }

  // ---- fed by the connection ----------------------------------------------------------------------------

  push(chunk: Buffer): void {
    this.received += chunk.length;
    if (this.discarding || this.error !== null) return;
    const waiter = this.waiter;
    if (waiter !== null) {
      this.waiter = null;
      waiter.resolve({ value: chunk, done: false });
      return;
    }
    this.store(chunk);
  }

  end(trailers: string[] | null): void {
    this.ended = true;
    this.trailers = trailers;
    const waiter = this.waiter;
    if (waiter !== null) {
      this.waiter = null;
      waiter.resolve({ value: undefined, done: true });
    }
    const collector = this.collector;
    this.collector = null;
    collector?.resolve();
  }

  /** The request failed (a protocol error, a timeout, the client left), or the server dropped the rest of its
   * body (answered before it was read): readers get `error`. */
  fail(error: unknown): void {
    if (this.ended || this.error !== null) return;
    this.error = error;
    this.drop();
    const waiter = this.waiter;
    if (waiter !== null) {
      this.waiter = null;
      waiter.reject(error);
    }
    const collector = this.collector;
    this.collector = null;
    collector?.reject(error);
  }

  /** Nobody will read the rest: drop what is buffered and whatever still arrives. */
  discard(): void {
    this.discarding = true;
    this.drop();
  }

  // ---- read by user code --------------------------------------------------------------------------------

  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    this.lock();
    return {
      next: () => this.next(),
      return: () => {
        this.discard();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  /** The whole body as one Buffer. It is collected as it arrives: no promise or Buffer per chunk. */
  async bytes(): Promise<Buffer> {
    this.lock();
    this.request();
    if (this.error !== null) throw this.error;
    if (!this.ended && !this.discarding) {
      const wasFull = this.full;
      this.collecting = true;
      if (wasFull) this.owner?.bodyDrained();
      await new Promise<void>((resolve, reject) => {
        this.collector = { resolve, reject };
      });
    }
    const parts = this.chunks;
    this.closeSegment();
    const size = this.buffered;
    this.chunks = [];
    this.buffered = 0;
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, size);
  }

  /** The whole body decoded as UTF-8. */
  async text(): Promise<string> {
    return (await this.bytes()).toString('utf8');
  }

  /** The whole body parsed as JSON; malformed JSON answers 400. */
  async json(): Promise<unknown> {
    const text = await this.text();
    try {
      return JSON.parse(text);
    } catch (cause) {
      throw new HttpError(400, 'the request body is not valid JSON', { code: 'H1W_INVALID_JSON', cause });
    }
  }

  private lock(): void {
    if (this.locked) throw new TypeError('the request body can be read only once');
    this.locked = true;
  }

  private request(): void {
    if (!this.requested) {
      this.requested = true;
      this.owner?.bodyRequested();
    }
  }

  private next(): Promise<IteratorResult<Buffer>> {
    this.request();
    if (this.error !== null) return Promise.reject(this.error);
    if (this.chunks.length === 0) this.closeSegment();
    const chunk = this.chunks.shift();
    if (chunk !== undefined) {
      const wasFull = this.full;
      this.buffered -= chunk.length;
      if (wasFull && !this.full) this.owner?.bodyDrained();
      return Promise.resolve({ value: chunk, done: false });
    }
    if (this.ended || this.discarding) return Promise.resolve({ value: undefined, done: true });
    if (this.waiter !== null) return Promise.reject(new TypeError('the request body is already being read'));
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** Keeps an unread chunk: a large one as it is, a small one copied into the open segment. */
  private store(chunk: Buffer): void {
    const size = chunk.length;
    this.buffered += size;
    if (size >= COALESCE_BELOW) {
      this.closeSegment();
      this.chunks.push(chunk);
      return;
    }
    let segment = this.segment;
    if (segment === null || this.segmentEnd + size > segment.length) {
      this.closeSegment();
      segment = this.segment = Buffer.allocUnsafe(SEGMENT_SIZE);
      this.segmentStart = this.segmentEnd = 0;
    }
    chunk.copy(segment, this.segmentEnd);
    this.segmentEnd += size;
  }

  /** Moves the filled part of the open segment to the chunks (its free rest stays open for more). */
  private closeSegment(): void {
    const segment = this.segment;
    if (segment === null || this.segmentEnd === this.segmentStart) return;
    this.chunks.push(segment.subarray(this.segmentStart, this.segmentEnd));
    this.segmentStart = this.segmentEnd;
  }

  private drop(): void {
    this.chunks.length = 0;
    this.segment = null;
    this.segmentStart = this.segmentEnd = 0;
    this.buffered = 0;
  }
}

/** The body of a request that has none (no Content-Length, no chunked, or a length of 0). */
export function emptyBody(): RequestBody {
  const body = new RequestBody(null, 0);
  body.end(null);
  return body;
}
