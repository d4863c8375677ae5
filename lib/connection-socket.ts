// The socket side of a connection: the socket it holds, the bytes it writes there (the write queue's WriteSink),
// who is at the other end (for a request's RequestOrigin), and pausing reads. Connection extends it (through
// ConnectionParts); it is also the link of the connection's state list (links.ts): no Link object per connection.
import type { Socket } from 'node:net';
import type { Connection } from './connection.js';
import type { ConnectionHost } from './connection-host.js';
import type { TrustFunction } from './forwarded.js';
import { Link } from './links.js';
import type { ProxyAddress } from './proxy-protocol.js';
import type { WriteSink } from './write-queue.js';

export abstract class ConnectionSocket extends Link<Connection> implements WriteSink {
  readonly host: ConnectionHost;
  protected socket: Socket | null = null;
  private addressCache: string | null = null;
  private portCache = 0;

  constructor(host: ConnectionHost) {
    super();
    this.host = host;
  }

  /** Holds `socket`; `peer`, the client from a PROXY header, stands for the socket's own address. */
  protected hold(socket: Socket, peer: ProxyAddress | null): void {
    this.socket = socket;
    this.addressCache = peer === null ? null : peer.address;
    this.portCache = peer === null ? 0 : peer.port;
  }

  pauseSocket(): void {
    this.socket?.pause();
  }

  resumeSocket(): void {
    this.socket?.resume();
  }

  // ---- WriteSink ----------------------------------------------------------------------------------------

  write(data: string | Uint8Array, encoding: BufferEncoding): boolean {
    const socket = this.socket;
    if (socket === null || socket.destroyed || socket.writableEnded) return true;
    return socket.write(data, encoding);
  }

  cork(): void {
    this.socket?.cork();
  }

  uncork(): void {
    this.socket?.uncork();
  }

  get writableLength(): number {
    return this.socket === null ? 0 : this.socket.writableLength;
  }

  // ---- RequestOrigin ------------------------------------------------------------------------------------

  remoteAddress(): string {
    if (this.addressCache === null) {
      this.addressCache = this.socket?.remoteAddress ?? '';
      this.portCache = this.socket?.remotePort ?? 0;
    }
    return this.addressCache;
  }

  remotePort(): number {
    this.remoteAddress();
    return this.portCache;
  }

  rawSocket(): Socket | null {
    return this.socket;
  }

  get trustProxy(): TrustFunction | null {
    return this.host.config.trustProxy;
  }

  encrypted(): boolean {
    return (this.socket as { encrypted?: boolean } | null)?.encrypted === true;
  }
}
