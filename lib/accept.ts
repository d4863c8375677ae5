// The accept path: a net.Server takes every TCP connection; the PRE-PROTOCOL HOOK (`preProtocol`) runs on
// the raw socket before any protocol is spoken (a PROXY-protocol header reader plugs in there); then TLS, when
// configured, and once a socket is ready for HTTP (plain, or after its handshake) the pool takes it.
import net from 'node:net';
import tls from 'node:tls';
import type { CloseReason } from './stages.js';

/** Runs on each raw TCP socket first; calls `next(socket)` to go on (or closes the socket itself). */
export type PreProtocol = (socket: net.Socket, next: (socket: net.Socket) => void) => void;

/** Where ready sockets go (the pool), and where sockets that never got there are counted. */
export interface AcceptTarget {
  accept(socket: net.Socket): void;
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
  preProtocol: PreProtocol = (socket, next) => next(socket);
  /** Raw sockets whose TLS handshake has not finished. */
  private readonly handshaking = new Set<net.Socket>();
  private readonly target: AcceptTarget;

  constructor(target: AcceptTarget, options: AcceptOptions) {
    this.target = target;
    this.net = net.createServer(options.net, (socket) => this.preProtocol(socket, this.afterPreProtocol));
    this.tls = options.tls === undefined ? null : this.tlsServer(options.tls, options.tlsHandshakeTimeout);
  }

  private readonly afterPreProtocol = (socket: net.Socket): void => {
    const server = this.tls;
    if (server === null) {
      this.target.accept(socket);
      return;
    }
    const handshaking = this.handshaking;
    handshaking.add(socket);
    socket.once('close', () => handshaking.delete(socket));
    server.emit('connection', socket);
  };

  private tlsServer(options: tls.TlsOptions, handshakeTimeout: number): tls.Server {
    const server = tls.createServer({ ALPNProtocols: ['http/1.1'], ...options, handshakeTimeout });
    server.on('secureConnection', (socket: tls.TLSSocket) => {
      this.handshaking.delete((socket as unknown as { _parent: net.Socket })._parent);
      this.target.accept(socket);
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
