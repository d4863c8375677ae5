// GET /ws in the demo: a WebSocket echo (text and binary) through the optional `ws` package, loaded on first
// use. Without `ws` the route answers 501 and says so; nothing crashes.
import type { Socket } from 'node:net';
import { HttpError } from './errors.js';
import type { NodeRequestView, Request } from './request.js';
import { upgrade } from './upgrade.js';

/** Largest WebSocket message the echo takes: a little over the 1 MiB frames the tests send. */
export const WS_MAX_PAYLOAD = 4 * 1024 * 1024;

interface EchoSocket {
  on(event: 'message', listener: (data: unknown, isBinary: boolean) => void): void;
  send(data: unknown, options: { binary: boolean }): void;
}
/** The part of ws's WebSocketServer the echo uses. */
export interface UpgradeServer {
  handleUpgrade(req: NodeRequestView, socket: Socket, head: Buffer, done: (ws: EchoSocket) => void): void;
}
export type WsLoader = () => Promise<UpgradeServer>;

async function loadWs(): Promise<UpgradeServer> {
  const name = 'ws'; // a variable: TypeScript must not require the optional package at build time
  const mod = (await import(name)) as { WebSocketServer: new (options: object) => UpgradeServer };
  return new mod.WebSocketServer({ noServer: true, maxPayload: WS_MAX_PAYLOAD });
}

/** The /ws route; `load` is replaceable so that a test can act as if `ws` were not installed. */
export function wsEchoRoute(load: WsLoader = loadWs): (req: Request) => Promise<unknown> {
  let server: Promise<UpgradeServer | null> | null = null;
  return async (req) => {
    if (req.upgrade?.toLowerCase() !== 'websocket') {
      throw new HttpError(426, 'GET /ws takes a WebSocket upgrade', { code: 'H1W_UPGRADE_REQUIRED', headers: { Upgrade: 'websocket' } });
    }
    server ??= load().catch(() => null);
    const wss = await server;
    if (wss === null) {
      throw new HttpError(501, 'the WebSocket echo needs the optional package "ws" (npm install ws)', { code: 'H1W_WS_MISSING', expose: true });
    }
    return upgrade((socket, head) => {
      wss.handleUpgrade(req.node, socket, head, (ws) => {
        ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
      });
    });
  };
}
