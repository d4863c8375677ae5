// The request body as user code sees it: an async iterable of Buffers, with text(), json() and bytes().
//
// Backpressure: chunks the handler has not read yet are buffered here; past the high-water mark the owner
// (the connection) stops reading the socket, and resumes when the handler has read below it again.
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

export class RequestBody implements AsyncIterable<Buffer> {
  /** Body bytes received so far (read or not). */
  received = 0;
  /** Trailer fields of a chunked body (name, value, …), once it has ended. */
  trailers: string[] | null = null;

  private chunks: Buffer[] = [];
  private buffered = 0;
  private ended = false;
  private error: unknown = null;
  private waiter: Waiter | null = null;
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

  /** More is buffered than the high-water mark allows: the socket should stop being read. */
  get full(): boolean {
    return this.buffered >= this.highWaterMark;
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
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  end(trailers: string[] | null): void {
    this.ended = true;
    this.trailers = trailers;
    const waiter = this.waiter;
    if (waiter !== null) {
      this.waiter = null;
      waiter.resolve({ value: undefined, done: true });
    }
  }

  /** The request failed (a protocol error, a timeout, the client left): readers get `error`. */
  fail(error: unknown): void {
    if (this.ended || this.error !== null) return;
    this.error = error;
    this.chunks.length = 0;
    this.buffered = 0;
    const waiter = this.waiter;
    if (waiter !== null) {
      this.waiter = null;
      waiter.reject(error);
    }
  }

  /** Nobody will read the rest: drop what is buffered and whatever still arrives. */
  discard(): void {
    this.discarding = true;
    this.chunks.length = 0;
    this.buffered = 0;
  }

  // ---- read by user code --------------------------------------------------------------------------------

  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    if (this.locked) throw new TypeError('the request body can be read only once');
    this.locked = true;
    return {
      next: () => this.next(),
      return: () => {
        this.discard();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  /** The whole body as one Buffer. */
  async bytes(): Promise<Buffer> {
    const parts: Buffer[] = [];
    let size = 0;
    for await (const chunk of this) {
      parts.push(chunk);
      size += chunk.length;
    }
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

  private next(): Promise<IteratorResult<Buffer>> {
    if (!this.requested) {
      this.requested = true;
      this.owner?.bodyRequested();
    }
    if (this.error !== null) return Promise.reject(this.error);
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
}

/** The body of a request that has none (no Content-Length, no chunked, or a length of 0). */
export function emptyBody(): RequestBody {
  const body = new RequestBody(null, 0);
  body.end(null);
  return body;
}
