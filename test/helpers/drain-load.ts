// Load across a shutdown, with every failure classified as a client sees it: `loops` clients each send GET
// requests in a loop, on keep-alive connections (a client told `Connection: close` reconnects) or on a new
// connection per request, until stopped.
import http from 'node:http';
import type { Socket } from 'node:net';

/** A request that got no answer may wait this long before it counts as lost (not a hang). */
const REQUEST_TIMEOUT = 3000;
/** Pause after a refused connection: the port is closed, the loop should not spin. */
const REFUSED_PAUSE = 5;

export interface DrainTally {
  /** Complete 200 responses. */
  answered: number;
  /** Other statuses. */
  bad: number;
  /** Responses that said Connection: close. */
  closes: number;
  /** Connections that carried at least one complete response. */
  answeredSockets: number;
  /** ECONNREFUSED: nothing listened, nothing was sent. Not a failed request. */
  refused: number;
  /** Failed requests on a connection that had answered before, or cut mid-response: always the server's doing. */
  lostOnAnswered: string[];
  /** Failed requests on a new connection that got no byte back (reset): the server's doing if it accepted the
   * connection, the kernel's if the connection was still in a closing listener's accept queue. */
  lostFresh: string[];
}

export interface DrainLoad {
  tally: DrainTally;
  /** Stops the loops and resolves once every client is done. */
  stop(): Promise<DrainTally>;
}

export function drainLoad(port: number, loops: number, keepAlive: boolean, label: () => string = () => ''): DrainLoad {
  const agent = keepAlive ? new http.Agent({ keepAlive: true, maxSockets: loops }) : false;
  const tally: DrainTally = { answered: 0, bad: 0, closes: 0, answeredSockets: 0, refused: 0, lostOnAnswered: [], lostFresh: [] };
  const answered = new WeakSet<Socket>();
  let running = true;
  const once = (): Promise<void> =>
    new Promise((resolve) => {
      let socket: Socket | null = null;
      let gotHead = false;
      let settled = false;
      const req = http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
        gotHead = true;
        res.resume();
        res.on('error', (error) => fail(error as NodeJS.ErrnoException));
        res.on('end', () => {
          if (settled) return;
          settled = true;
          if (res.statusCode === 200) tally.answered++;
          else tally.bad++;
          if (res.headers.connection === 'close') tally.closes++;
          if (socket !== null && !answered.has(socket)) {
            answered.add(socket);
            tally.answeredSockets++;
          }
          resolve();
        });
      });
      req.on('socket', (s: Socket) => (socket = s));
      req.setTimeout(REQUEST_TIMEOUT, () => req.destroy(new Error('no answer')));
      const fail = (error: NodeJS.ErrnoException): void => {
        if (settled) return;
        settled = true;
        if (error.code === 'ECONNREFUSED') {
          tally.refused++;
          setTimeout(resolve, REFUSED_PAUSE);
          return;
        }
        const what = `${label()}${error.code ?? ''} ${error.message}`;
        if (gotHead || (socket !== null && answered.has(socket))) tally.lostOnAnswered.push(what);
        else tally.lostFresh.push(what);
        resolve();
      };
      req.on('error', fail);
    });
  const all = Array.from({ length: loops }, async () => {
    while (running) await once();
  });
  return {
    tally,
    stop: async () => {
      running = false;
      await Promise.all(all);
      if (agent !== false) agent.destroy();
      return tally;
    },
  };
}
