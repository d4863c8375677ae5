// createServer(): a net.Server whose sockets go to the connection pool, plus listen, close and stats.
import net, { type AddressInfo } from 'node:net';
import { MAX_TIMER_DELAY } from './clock.js';
import { resolveConfig, type ServerConfig, type ServerOptions } from './config.js';
import type { Handler } from './handle.js';
import { withInspector } from './inspector.js';
import * as limits from './limits.js';
import { ConnectionPool, type ServerStats } from './pool.js';
import { Observer } from './stages.js';
import { createTracer } from './trace.js';

export interface CloseOptions {
  /** How long in-flight requests get before their connections are destroyed, ms. */
  timeout?: number;
}

export class Server {
  readonly config: ServerConfig;
  /** The underlying net.Server (for options h1wire does not wrap). */
  readonly net: net.Server;
  private readonly pool: ConnectionPool;
  private closing: Promise<void> | null = null;

  constructor(handler: Handler, options: ServerOptions = {}) {
    if (typeof handler !== 'function') throw new TypeError('createServer needs a handler function');
    this.config = resolveConfig(options);
    const tracer = createTracer(options.trace);
    const observer = new Observer(options.hooks ?? {}, tracer, options.timings === true || this.config.serverTiming);
    const inspector = options.inspector ?? false;
    if (inspector !== false) handler = withInspector(handler, inspector);
    this.pool = new ConnectionPool(this.config, observer, handler);
    this.net = net.createServer(
      // Half-open: a client may send its request and FIN, and still get its answer.
      { allowHalfOpen: true, noDelay: true, highWaterMark: this.config.highWaterMark },
      (socket) => this.pool.accept(socket),
    );
  }

  /** Starts listening; resolves with the bound address (port 0 picks a free one). */
  listen(port = 0, host = '127.0.0.1'): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      this.net.once('error', onError);
      this.net.listen(port, host, () => {
        this.net.off('error', onError);
        resolve(this.net.address() as AddressInfo);
      });
    });
  }

  address(): AddressInfo | null {
    return this.net.address() as AddressInfo | null;
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
   * Graceful shutdown: stop accepting, close idle connections now, let in-flight requests finish with
   * `Connection: close`, destroy what is left after `timeout`. Resolves when every connection is gone.
   */
  close(options: CloseOptions = {}): Promise<void> {
    if (this.closing !== null) return this.closing;
    const timeout = options.timeout ?? limits.CLOSE_TIMEOUT;
    const stopped = new Promise<void>((resolve) => {
      if (this.net.listening) this.net.close(() => resolve());
      else resolve();
    });
    this.pool.shutdownAll();
    // A longer delay would overflow the timer and fire at once; 24.8 days is "never" for a shutdown.
    const timer = setTimeout(() => this.pool.destroyAll('server-closing'), Math.min(timeout, MAX_TIMER_DELAY));
    timer.unref();
    this.closing = Promise.all([stopped, this.pool.whenEmpty()]).then(() => {
      clearTimeout(timer);
      this.pool.dispose();
    });
    return this.closing;
  }
}

export function createServer(handler: Handler, options: ServerOptions = {}): Server {
  return new Server(handler, options);
}
