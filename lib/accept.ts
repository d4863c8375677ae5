// The accept path: a net.Server takes every TCP connection; the PRE-PROTOCOL HOOK (`preProtocol`) runs on
// the raw socket before any protocol is spoken (a PROXY-protocol header reader plugs in there); then TLS, when
// configured, and once a socket is ready for HTTP (plain, or after its handshake) the pool takes it.
import net from 'node:net';
import tls from 'node:tls';
import type { ProxyAddress } from './proxy-protocol.js';
import type { CloseReason } from './stages.js';

/** Runs on each raw TCP socket first; calls `next(socket, peer)` to go on (or closes the socket itself).
 * `peer`: the client's address when the step learnt it (a PROXY header), else null. */
export type PreProtocol = (socket: net.Socket, next: (socket: net.Socket, peer: ProxyAddress | null) => void) => void;

/** Where ready sockets go (the pool), and where sockets that never got there are counted. */
export interface AcceptTarget {
  accept(socket: net.Socket, peer: ProxyAddress | null): void;
  /** A socket that never became a connection (failed handshake, no PROXY header) closed for `reason`. */
  countClose(reason: CloseReason): void;
}

export interface AcceptOptions {
  net: net.ServerOpts;
  /** tls.createServer options; absent: plain HTTP. */
  tls: tls.TlsOptions | undefined;
  tlsHandshakeTimeout: number;
}

export class Acceptor {
  readonly net: net.Server;
  /** The tls.Server that does the handshakes (never listens itself), or null for plain HTTP. */
  readonly tls: tls.Server | null;
  /** The hook point: replace it to run a step on the raw TCP socket before TLS and HTTP. */
  preProtocol: PreProtocol = (socket, next) => next(socket, null);
  /** Raw sockets whose TLS handshake has not finished. */
  private readonly handshaking = new Set<net.Socket>();
  /** What the pre-protocol step learnt about a raw socket, for its TLS socket once the handshake is done. */
  private readonly peers = new WeakMap<net.Socket, ProxyAddress>();
  private readonly target: AcceptTarget;
  private readonly socketOptions: net.ServerOpts;

  constructor(target: AcceptTarget, options: AcceptOptions) {
    this.target = target;
    this.socketOptions = options.net;
    this.net = net.createServer(options.net, (socket) => this.preProtocol(socket, this.proceed));
    this.tls = options.tls === undefined ? null : this.tlsServer(options.tls, options.tlsHandshakeTimeout);
  }

  /** A TCP socket accepted elsewhere (the round-robin primary of cluster.ts handed it over) takes the accept
   * path as if this server's listener had accepted it. The options net.Server applies at accept are applied here;
   * the stream highWaterMark cannot be changed after the socket was made (Node.js's default stays). */
  adopt(socket: net.Socket): void {
    socket.allowHalfOpen = this.socketOptions.allowHalfOpen === true;
    if (this.socketOptions.noDelay === true) socket.setNoDelay(true);
    this.net.emit('connection', socket);
  }

  /** After the pre-protocol step: TLS (if configured), then the pool. */
  readonly proceed = (socket: net.Socket, peer: ProxyAddress | null): void => {
    const server = this.tls;
    if (server === null) {
      this.target.accept(socket, peer);
      return;
    }
    if (peer !== null) this.peers.set(socket, peer);
    const handshaking = this.handshaking;
    handshaking.add(socket);
    socket.once('close', () => handshaking.delete(socket));
    server.emit('connection', socket);
  };

  private tlsServer(options: tls.TlsOptions, handshakeTimeout: number): tls.Server {
    const server = tls.createServer({ ALPNProtocols: ['http/1.1'], ...options, handshakeTimeout });
    server.on('secureConnection', (socket: tls.TLSSocket) => {
      const raw = (socket as unknown as { _parent: net.Socket })._parent;
      this.handshaking.delete(raw);
      this.target.accept(socket, this.peers.get(raw) ?? null);
    });
    // Never thrown: a failed or stalled handshake is counted and its socket closed (Node leaves it open).
    server.on('tlsClientError', (error: NodeJS.ErrnoException, socket: tls.TLSSocket) => {
      this.target.countClose(error.code === 'ERR_TLS_HANDSHAKE_TIMEOUT' ? 'tls-handshake-timeout' : 'tls-error');
      socket.destroy();
    });
    return server;
  }

  /** Shutdown: sockets still in their TLS handshake are closed (they have asked nothing yet). */
  dropHandshaking(): void {
    for (const socket of this.handshaking) socket.destroy();
    this.handshaking.clear();
  }
}

/**
 * Closes a listening net.Server right after the event loop's poll phase has accepted what the kernel had queued,
 * and resolves once it is closed. Closing a listening socket resets every connection still in its accept queue
 * (handshake done, request maybe sent, never accepted); queued connections are accepted in the poll phase, so
 * the check phase after it is the moment the queue is emptiest. One setImmediate could run in the check phase
 * of a poll phase that did not look at the listener; the second runs after one that did (an immediate pending
 * makes that poll phase non-blocking, so it costs no wait).
 */
export function closeListenerAfterAccepts(server: net.Server): Promise<void> {
  return new Promise((resolve) => {
    setImmediate(() =>
      setImmediate(() => {
        // Not the close callback: net.Server waits there for every socket it accepted, upgraded ones included.
        if (server.listening) server.close();
        resolve();
      }),
    );
  });
}
