// Start a server (the demo or any handler) on a free port for a test, and stop it afterwards.
import type { ServerOptions } from '../../lib/config.js';
import { createDemoServer } from '../../lib/demo.js';
import type { Handler } from '../../lib/handle.js';
import { createServer, type Server } from '../../lib/server.js';
import { serverTls } from './transport.js';

export interface Running {
  server: Server;
  port: number;
  url: string;
  close(): Promise<void>;
}

async function run(server: Server): Promise<Running> {
  const address = await server.listen(0, '127.0.0.1');
  return {
    server,
    port: address.port,
    url: `${server.secure ? 'https' : 'http'}://127.0.0.1:${address.port}`,
    close: () => server.close({ timeout: 500 }),
  };
}

export function start(handler: Handler, options: ServerOptions = {}): Promise<Running> {
  return run(createServer(handler, { tls: serverTls(), ...options }));
}

export function startDemo(options: ServerOptions = {}): Promise<Running> {
  return run(createDemoServer({ tls: serverTls(), ...options }));
}
