// createServer(): a net.Server whose sockets go to the connection pool, plus listen, close and stats.
import type { AddressInfo, Socket } from 'node:net';
import type net from 'node:net';
import { Acceptor, closeListenerAfterAccepts } from './accept.js';
import { MAX_TIMER_DELAY } from './clock.js';
import { resolveConfig, type ServerConfig, type ServerOptions } from './config.js';
import type { Handler } from './handle.js';
import { withInspector } from './inspector.js';
import * as limits from './limits.js';
import type { Connection } from './connection.js';
import { ConnectionPool, type ServerStats } from './pool.js';
import { ProxyHeaderGate } from './proxy-reader.js';
import { Observer } from './stages.js';
import { createTracer } from './trace.js';

export interface CloseOptions {
  /** How long in-flight requests get before their connections are destroyed, ms. */
  timeout?: number;
  /** Upgraded sockets (see `upgrade`) are not waited for: 'keep' leaves them to their owner (default),
   * 'destroy' destroys them. `server.upgraded` lists them either way. */
  upgraded?: 'keep' | 'destroy';
  /** How long (ms, default 0) the listener is closed before the connections are shut: a connection accepted
   * just before close() whose request is still on the wire, and a keep-alive client about to reuse an idle
   * connection, get their request answered with `Connection: close` instead of a closed connection. Ends early
   * when no connection is open; counts within `timeout`. */
  acceptGrace?: number;
}

/** net's listen options beyond port and host; `reusePort` needs Node.js 22.12+ (older ones ignore it). */
export type ListenExtra = Omit<net.ListenOptions, 'port' | 'host' | 'path'> & { reusePort?: boolean };

export class Server {
  readonly config: ServerConfig;
  /** The underlying net.Server (for options h1wire does not wrap). */
  readonly net: net.Server;
  /** The accept path: `accept.preProtocol` is the hook on raw TCP sockets before TLS and HTTP (accept.ts). */
  readonly accept: Acceptor;
  private readonly pool: ConnectionPool;
  private closing: Promise<void> | null = null;
  private unlistening: Promise<void> | null = null;
  /** proxyProtocol: the step that reads each socket's PROXY header before it becomes a connection. */
  private readonly proxyGate: ProxyHeaderGate | null;

  constructor(handler: Handler, options: ServerOptions = {}) {
    if (typeof handler !== 'function') throw new TypeError('createServer needs a handler function');
    this.config = resolveConfig(options);
    const tracer = createTracer(options.trace);
    const observer = new Observer(options.hooks ?? {}, tracer, options.timings === true || this.config.serverTiming);
    const inspector = options.inspector ?? false;
    if (inspector !== false) handler = withInspector(handler, inspector);
    this.pool = new ConnectionPool(this.config, observer, handler);
    this.accept = new Acceptor(this.pool, {
      // Half-open: a client may send its request and FIN, and still get its answer.
      net: { allowHalfOpen: true, noDelay: true, highWaterMark: this.config.highWaterMark },
      tls: options.tls,
      tlsHandshakeTimeout: this.config.tlsHandshakeTimeout,
    });
    this.net = this.accept.net;
    if (this.config.proxyProtocol) {
      // The PROXY header comes first on the raw socket, before any TLS handshake (accept.ts's hook point).
      const acceptor = this.accept;
      const pool = this.pool;
      const gate = (this.proxyGate = new ProxyHeaderGate(this.config.proxyHeaderTimeout, {
        proxied: (socket, header) => acceptor.proceed(socket, header.source),
        dropped: (reason) => pool.countClose(reason),
      }));
      acceptor.preProtocol = (socket) => gate.take(socket);
    } else {
      this.proxyGate = null;
    }
  }

  /** Served over TLS. */
  get secure(): boolean {
    return this.accept.tls !== null;
  }

  /** New connections are taken: neither close() nor closeListener() was called (listening or not). */
  get accepting(): boolean {
    return this.unlistening === null;
  }

  /** Sockets handed over by accepted upgrades and still open (close() does not wait for them). */
  get upgraded(): ReadonlySet<Socket> {
    return this.pool.upgradedSockets;
  }

  /** Starts listening; resolves with the bound address (port 0 picks a free one). `extra`: more of net's listen
   * options (`reusePort`, `exclusive`, `backlog`). */
  listen(port = 0, host = '127.0.0.1', extra: ListenExtra = {}): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      this.net.once('error', onError);
      this.net.listen({ ...extra, port, host }, () => {
        this.net.off('error', onError);
        resolve(this.net.address() as AddressInfo);
      });
    });
  }

  address(): AddressInfo | null {
    return this.net.address() as AddressInfo | null;
  }

  /** @internal In-process connections (inject()): a socket-like object takes the accept path from the
   * pre-protocol step on (a PROXY header is read from it as from a socket) to the pool, TLS aside (it has no
   * handshake to do). `accepted` gets its Connection, or null when the pool closed it at once; never, when the
   * pre-protocol step dropped it. */
  acceptSocket(socket: net.Socket, accepted: (conn: Connection | null) => void): void {
    this.accept.preProtocol(socket, (ready, peer) => accepted(this.pool.accept(ready, peer)));
  }

  /** Stops accepting, right after an accept batch (the kernel's accept queue is then emptiest: closing a
   * listener resets what waits in it), a loop iteration or two from now; resolves once the listener is closed.
   * Connections stay as they are (keep-alive goes on): close() does the rest, and waits for this. A cluster
   * closes every worker's listener this way before any worker starts answering with Connection: close. */
  closeListener(): Promise<void> {
    this.unlistening ??= this.net.listening ? closeListenerAfterAccepts(this.net) : Promise.resolve();
    return this.unlistening;
  }

  /** Serves a TCP socket that another process accepted and handed over (cluster.ts's round-robin), as if this
   * server's listener had accepted it. */
  adopt(socket: Socket): void {
    this.accept.adopt(socket);
  }

  /** Counters and the connections open by state. */
  stats(): ServerStats {
    return this.pool.stats();
  }

  /** How often deadlines are checked, ms. */
  get sweepPeriod(): number {
    return this.pool.period;
  }

  /** Closes connections that are idle between requests (FIN, never RST); returns how many. */
  closeIdleConnections(): number {
    return this.pool.closeIdle();
  }

  /**
   * Graceful shutdown: stop accepting, close idle connections now (or after `acceptGrace`), let in-flight requests finish with
   * `Connection: close`, destroy what is left after `timeout`. Resolves when every connection is gone.
   */
  close(options: CloseOptions = {}): Promise<void> {
    if (this.closing !== null) return this.closing;
    const timeout = options.timeout ?? limits.CLOSE_TIMEOUT;
    const grace = Math.min(Math.max(0, options.acceptGrace ?? 0), timeout);
    // From now on every response says Connection: close (the reader and responder read this flag). Not before
    // the listener is closed: a client told to close reconnects at once, and its new connection would wait in
    // the accept queue that the listener's close resets. Without a closeListener() first, the listener closes
    // now (new connections are refused from here on).
    let unlistened: Promise<void>;
    if (this.unlistening === null) {
      // Not the close callback: net.Server waits there for every socket it accepted, upgraded ones included.
      if (this.net.listening) this.net.close();
      this.unlistening = unlistened = Promise.resolve();
      this.pool.draining = true;
    } else {
      unlistened = this.unlistening.then(() => {
        this.pool.draining = true;
      });
    }
    const shut = (): void => {
      this.accept.dropHandshaking();
      if (options.upgraded === 'destroy') for (const socket of this.pool.upgradedSockets) socket.destroy();
      this.proxyGate?.closeAll();
      this.pool.shutdownAll();
    };
    // Connections are shut once the listener is closed (none arrives after) and the grace has passed; the grace
    // ends early once no connection is left to send anything.
    const graceOver =
      grace === 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            const t = setTimeout(resolve, grace);
            void unlistened.then(() => this.pool.whenEmpty()).then(() => {
              clearTimeout(t);
              resolve();
            });
          });
    const stopped = Promise.all([unlistened, graceOver]).then(shut);
    // A longer delay would overflow the timer and fire at once; 24.8 days is "never" for a shutdown.
    const timer = setTimeout(() => this.pool.destroyAll('server-closing'), Math.min(timeout, MAX_TIMER_DELAY));
    timer.unref();
    this.closing = stopped.then(() => this.pool.whenEmpty()).then(() => {
      clearTimeout(timer);
      this.pool.dispose();
    });
    return this.closing;
  }
}

export function createServer(handler: Handler, options: ServerOptions = {}): Server {
  return new Server(handler, options);
}
