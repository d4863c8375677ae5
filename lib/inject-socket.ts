// The socket an injected request arrives on: in memory, no descriptor. It does what a net.Socket does as far as
// a Connection uses it (data in, writes out, pause/resume, FIN, close), and as far as the owner of an accepted
// upgrade commonly uses one (ws: readable, writable, setTimeout, unshift), and keeps every byte written.
import { EventEmitter } from 'node:events';

export class MemorySocket extends EventEmitter {
  /** Every byte the server wrote, in order. */
  readonly written: Buffer[] = [];
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Stands for a TLS socket: the server this request is injected into serves HTTPS only, so a request of
   * one of its clients comes over TLS (req.protocol "https"). There is no handshake and no certificate. */
  readonly encrypted: boolean;
  destroyed = false;
  writableEnded = false;
  /** Bytes "in the kernel" not yet sent: 0, every write is taken at once (tests may say otherwise). */
  writableLength = 0;
  /** After our FIN the client closes too ('end', 'close'), as a client that has read everything does. */
  peerClosesAfterFin = true;
  /** The server asked us to stop delivering data. */
  paused = false;
  /** Set by resetAndDestroy(): the server reset the connection. */
  reset = false;
  /** The socket has emitted 'close'. */
  closed = false;
  /** The parts of a stream's state that ws reads on a socket it took over (bufferedAmount, its close path):
   * nothing is ever buffered here, and 'end' is the client's FIN. */
  readonly _readableState = { length: 0, endEmitted: false };
  readonly _writableState = { length: 0 };
  private flowing: boolean | null = true;
  private readonly pending: Buffer[] = [];
  private inputEnded = false;
  private finSent = false;

  constructor(remoteAddress = '127.0.0.1', remotePort = 0, encrypted = false) {
    super();
    this.remoteAddress = remoteAddress;
    this.remotePort = remotePort;
    this.encrypted = encrypted;
    // As on a stream: a 'data' listener added while the socket is neither paused nor flowing starts the flow.
    this.on('newListener', (event: string) => {
      if (event === 'data' && this.flowing === null) this.resume();
    });
  }

  /** As a stream's: true flowing, false paused, null neither (how an accepted upgrade hands the socket over:
   * bytes wait for the new owner's 'data' listener). */
  get readableFlowing(): boolean | null {
    return this.flowing;
  }

  set readableFlowing(value: boolean | null) {
    this.flowing = value;
    this.paused = value !== true;
  }

  get readable(): boolean {
    return !this.destroyed && !this.inputEnded;
  }

  get writable(): boolean {
    return !this.destroyed && !this.writableEnded;
  }

  /** Bytes from the client: delivered now, or when the server resumes reading. */
  push(data: Buffer): void {
    if (this.destroyed || this.inputEnded) return;
    this.pending.push(data);
    this.deliver();
  }

  /** Bytes read too early, given back (an upgrade's new owner returns `head` this way): they come first. */
  unshift(data: Buffer): void {
    if (this.destroyed) return;
    this.pending.unshift(data);
    queueMicrotask(() => this.deliver());
  }

  /** The client's FIN. */
  endInput(): void {
    if (this.inputEnded) return;
    this.inputEnded = true;
    this.deliver();
  }

  /** Everything pushed has reached the server (it is not holding the socket paused with bytes waiting). */
  get drained(): boolean {
    return this.pending.length === 0;
  }

  private deliver(): void {
    while (!this.paused && !this.destroyed && this.pending.length > 0) this.emit('data', this.pending.shift());
    if (this.inputEnded && !this.finSent && !this.paused && !this.destroyed && this.pending.length === 0) {
      this.finSent = true;
      this._readableState.endEmitted = true;
      this.emit('end');
    }
  }

  write(data: string | Uint8Array, encoding?: BufferEncoding): boolean {
    if (!this.destroyed) this.written.push(typeof data === 'string' ? Buffer.from(data, encoding ?? 'utf8') : Buffer.from(data));
    return true;
  }
  cork(): void {}
  uncork(): void {}
  setNoDelay(): this {
    return this;
  }
  setTimeout(): this {
    return this;
  }
  pause(): this {
    this.paused = true;
    this.flowing = false;
    return this;
  }
  resume(): this {
    this.paused = false;
    this.flowing = true;
    queueMicrotask(() => this.deliver());
    return this;
  }
  /** Our FIN: the client, having read everything, closes too. */
  end(callback?: () => void): this {
    this.writableEnded = true;
    setImmediate(() => {
      callback?.(); // 'finish': our FIN left
      if (this.peerClosesAfterFin && !this.destroyed) {
        if (!this.finSent) {
          // The client's FIN, once (a socket never emits 'end' twice).
          this.finSent = true;
          this._readableState.endEmitted = true;
          this.emit('end');
        }
        this.destroy();
      }
    });
    return this;
  }
  destroy(): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    setImmediate(() => {
      this.closed = true;
      this.emit('close', false);
    });
    return this;
  }
  resetAndDestroy(): this {
    this.reset = true;
    return this.destroy();
  }
}
