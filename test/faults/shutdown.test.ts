// Shutdown under load, as clients meet it. server.close({ timeout }) while keep-alive clients loop requests
// to a 20 ms handler: every request that reached the server is answered whole (stats: requests == responses;
// clients: no truncated or malformed response), responses in flight say `Connection: close`, idle
// connections get a FIN (never a reset), close() resolves well before its timeout, new connections are
// refused. With work that never finishes, close() destroys what is left at the timeout and not before
// (signals fire, streams are cancelled). server.closeIdleConnections() closes only the idle ones;
// server.closeListener() only the listener (keep-alive goes on until close()).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { router } from '../../lib/router.js';
import type { CloseEvent, FinishEvent } from '../../lib/stages.js';
import { HttpConn, HttpConnError, type HttpResponse } from '../helpers/http-conn.js';
import { within } from '../helpers/leaks.js';
import { sleep, waitFor } from '../helpers/process.js';
import { dial } from '../helpers/transport.js';
import { start, type Running } from '../helpers/server.js';

function app(state: { active: number; signalled: Set<string>; cleaned: Set<string> }) {
  return router({
    'GET /': () => ({ ok: true }),
    'GET /slow': async (req) => {
      state.active++;
      try {
        await sleep(Number(req.query.get('ms') ?? '20'));
        return { slept: true };
      } finally {
        state.active--;
      }
    },
    'GET /hang': (req) => {
      state.active++;
      return new Promise((_resolve, reject) => {
        req.signal.addEventListener('abort', () => {
          state.active--;
          state.signalled.add('hang');
          reject(req.signal.reason);
        });
      });
    },
    'GET /endless': (req) => {
      req.signal.addEventListener('abort', () => state.signalled.add('endless'));
      return {
        body: (async function* () {
          const block = Buffer.alloc(64 * 1024, 'e');
          try {
            for (;;) {
              yield block;
              await new Promise((r) => setImmediate(r));
            }
          } finally {
            state.cleaned.add('endless');
          }
        })(),
      };
    },
  });
}

interface Watched {
  running: Running;
  state: { active: number; signalled: Set<string>; cleaned: Set<string> };
  closes: CloseEvent[];
  finishes: { at: number; event: FinishEvent }[];
}

async function serve(): Promise<Watched> {
  const state = { active: 0, signalled: new Set<string>(), cleaned: new Set<string>() };
  const closes: CloseEvent[] = [];
  const finishes: { at: number; event: FinishEvent }[] = [];
  const running = await start(app(state), {
    keepAliveTimeout: 30_000,
    closeLinger: 500,
    hooks: {
      onClose: (event) => closes.push(event),
      onFinish: (event) => finishes.push({ at: performance.now(), event }),
    },
  });
  return { running, state, closes, finishes };
}

/** An idle keep-alive connection: one request answered, then quiet. */
async function idleConnection(port: number): Promise<HttpConn> {
  const conn = await HttpConn.open(port);
  const res = conn.expect();
  await conn.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.is((await res).status, 200);
  return conn;
}

interface LoopOutcome {
  responses: number;
  /** The last response said Connection: close. */
  endedWithClose: boolean;
  /** The connection closed (FIN, no byte) while a request was on its way: the keep-alive race. */
  closedBeforeResponse: boolean;
  problems: string[];
}

/** Loops GET /slow?ms=20 on one keep-alive connection until the server closes it. */
async function loop(port: number): Promise<LoopOutcome> {
  const out: LoopOutcome = { responses: 0, endedWithClose: false, closedBeforeResponse: false, problems: [] };
  const conn = await HttpConn.open(port);
  for (;;) {
    const pending = conn.expect({ timeoutMs: 5000 });
    await conn.write('GET /slow?ms=20 HTTP/1.1\r\nHost: x\r\n\r\n');
    let res: HttpResponse;
    try {
      res = await pending;
    } catch (error) {
      const kind = (error as HttpConnError).kind;
      if (kind === 'closed') out.closedBeforeResponse = true;
      else out.problems.push((error as Error).message);
      break;
    }
    out.responses++;
    if (res.status !== 200 || res.body.toString() !== '{"slept":true}') out.problems.push(`bad response ${res.status} ${res.body.toString()}`);
    if (res.closes) {
      out.endedWithClose = true;
      if (!(await conn.waitClose(3000))) out.problems.push('no close after Connection: close');
      else if (conn.reset) out.problems.push('a reset after Connection: close');
      if (conn.stray > 0) out.problems.push(`${conn.stray} bytes after Connection: close`);
      break;
    }
  }
  conn.destroy();
  return out;
}

test('close({ timeout }) under keep-alive load: every request answered whole, in-flight ones with Connection: close', async () => {
  const { running, state, closes, finishes } = await serve();
  const server = running.server;
  const idle = await Promise.all([0, 1, 2].map(() => idleConnection(running.port)));
  const LOOPS = 6;
  const loops = Array.from({ length: LOOPS }, () => loop(running.port));
  // Let the load run, then close while handlers are in flight.
  assert.ok(await waitFor(() => server.stats().responses >= 60 && state.active >= 3, 5000, 1), `responses ${server.stats().responses}, active ${state.active}`);
  const inFlight = state.active;
  const openAtClose = server.stats().open;
  const closedAt = performance.now();
  const closing = server.close({ timeout: 3000 });
  assert.is(server.close({ timeout: 1 }), closing, 'a second close() returns the same promise');
  // New connections are refused at once.
  const refused = await new Promise<boolean>((resolve) => {
    const socket = dial(running.port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
  assert.ok(refused, 'a new connection after close() must be refused');
  let resolvedAt = 0;
  await within(closing.then(() => (resolvedAt = performance.now())), 5000);
  assert.ok(resolvedAt > 0, 'close() resolved');
  assert.ok(resolvedAt - closedAt < 1500, `close() took ${(resolvedAt - closedAt).toFixed(0)} ms for 20 ms requests`);

  const outcomes = await Promise.all(loops);
  const problems = outcomes.flatMap((o, i) => o.problems.map((p) => `client ${i}: ${p}`));
  assert.equal(problems, [], problems.join('\n'));
  for (const [i, o] of outcomes.entries()) {
    assert.ok(o.endedWithClose || o.closedBeforeResponse, `client ${i} ended neither with Connection: close nor a FIN`);
    assert.ok(o.responses > 0, `client ${i} got no response at all`);
  }
  const withClose = outcomes.filter((o) => o.endedWithClose).length;
  // Each handler in flight at close() belongs to a different connection, and each of those must get its answer.
  assert.ok(withClose >= inFlight, `${withClose} clients got Connection: close, ${inFlight} requests were in flight`);
  // Server side: every request that was parsed was answered; after close(), none said keep-alive.
  const stats = server.stats();
  assert.is(stats.requests, stats.responses, `requests ${stats.requests}, responses ${stats.responses}`);
  const clientResponses = outcomes.reduce((n, o) => n + o.responses, 0) + idle.length;
  assert.is(stats.responses, clientResponses, 'every response the server finished reached a client whole');
  const late = finishes.filter((f) => f.at >= closedAt);
  assert.ok(late.length >= withClose);
  assert.equal(late.filter((f) => f.event.keepAlive).length, 0, 'a response finished after close() said keep-alive');
  // Idle connections: closed with a FIN, never a reset.
  for (const [i, conn] of idle.entries()) {
    assert.ok(await conn.waitClose(2000), `idle ${i} not closed`);
    assert.ok(conn.fin, `idle ${i}: no FIN`);
    assert.not.ok(conn.reset, `idle ${i}: reset`);
  }
  assert.is(stats.open, 0);
  assert.is(closes.length, openAtClose);
  assert.is(stats.accepted, openAtClose);
  const reasons = closes.map((c) => c.reason);
  assert.equal([...new Set(reasons)], ['server-closing'], `close reasons: ${reasons.join(', ')}`);
});

test('close({ timeout }): connections still busy at the timeout are destroyed then, not before', async () => {
  const { running, state, closes } = await serve();
  const server = running.server;
  const idle = await idleConnection(running.port);
  const hang = await HttpConn.open(running.port);
  const hangResponse = hang.expect({ timeoutMs: 5000 }).catch((error: HttpConnError) => error);
  await hang.write('GET /hang HTTP/1.1\r\nHost: x\r\n\r\n');
  const reader = await HttpConn.open(running.port);
  const readerResponse = reader.expect({ keepBody: false, timeoutMs: 5000 }).catch((error: HttpConnError) => error);
  reader.pause(); // a reader that stopped reading: the stream blocks
  await reader.write('GET /endless HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.ok(await waitFor(() => state.active === 1 && server.stats().byState.writing === 1, 3000), JSON.stringify(server.stats().byState));

  const TIMEOUT = 400;
  const t0 = performance.now();
  let resolvedAt = 0;
  const closing = server.close({ timeout: TIMEOUT }).then(() => (resolvedAt = performance.now()));
  // The idle one goes at once, with a FIN.
  assert.ok(await idle.waitClose(TIMEOUT / 2), 'the idle connection must close at once');
  assert.ok(idle.fin && !idle.reset);
  await sleep(TIMEOUT - 150);
  assert.is(resolvedAt, 0, 'close() resolved before its timeout while requests were in flight');
  assert.not.ok(hang.closed, 'the busy connection was closed before the timeout');
  assert.is(state.signalled.size, 0);
  await within(closing, 3000);
  assert.ok(resolvedAt > 0, 'close() never resolved');
  reader.resume(); // let it see the end of what was sent
  const took = resolvedAt - t0;
  assert.ok(took >= TIMEOUT - 5 && took < TIMEOUT + 1000, `close() took ${took.toFixed(0)} ms with timeout ${TIMEOUT}`);
  assert.instance(await hangResponse, HttpConnError, 'the hanging request got no response');
  assert.instance(await readerResponse, HttpConnError, 'the endless stream was cut');
  assert.ok(await hang.waitClose(1000));
  assert.ok(state.signalled.has('hang'), "the hanging handler's signal fired");
  assert.ok(state.signalled.has('endless'), "the stream's request signal fired");
  assert.ok(await waitFor(() => state.cleaned.has('endless'), 1000), 'the stream was cancelled');
  assert.is(server.stats().open, 0);
  const reasons = closes.map((c) => c.reason);
  assert.equal(reasons.filter((r) => r === 'server-closing').length, 3, reasons.join(', '));
  reader.destroy();
  hang.destroy();
});

test('closeIdleConnections(): idle connections get a FIN, busy ones finish and stay, new ones are served', async () => {
  const { running, state, closes } = await serve();
  const server = running.server;
  const idle = await Promise.all([0, 1, 2].map(() => idleConnection(running.port)));
  const busy = await Promise.all([0, 1].map(() => HttpConn.open(running.port)));
  const busyResponses = busy.map((conn) => conn.expect());
  for (const conn of busy) await conn.write('GET /slow?ms=300 HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.ok(await waitFor(() => state.active === 2, 2000));
  assert.is(server.closeIdleConnections(), 3);
  for (const [i, conn] of idle.entries()) {
    assert.ok(await conn.waitClose(1000), `idle ${i} not closed`);
    assert.ok(conn.fin && !conn.reset, `idle ${i}: fin ${conn.fin}, reset ${conn.reset}`);
  }
  for (const res of await Promise.all(busyResponses)) {
    assert.is(res.status, 200);
    assert.not.ok(res.closes, 'a busy connection is not closed by closeIdleConnections()');
  }
  assert.not.ok(busy.some((c) => c.closed));
  // The server still accepts and serves, on the busy connections and on new ones.
  const again = busy[0] as HttpConn;
  const res = again.expect();
  await again.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.is((await res).status, 200);
  const fresh = await idleConnection(running.port);
  assert.is(server.stats().open, 3);
  assert.equal(closes.map((c) => c.reason), ['server-closing', 'server-closing', 'server-closing']);
  await running.close();
  for (const conn of [...busy, fresh]) assert.ok(await conn.waitClose(1000));
  assert.is(server.stats().open, 0);
});

test('close({ acceptGrace }): a request arriving during the grace is answered with Connection: close, not cut', async () => {
  /** An accepted connection that has sent nothing yet (its request still "on the wire"), and an idle one. */
  const outcome = async (acceptGrace: number): Promise<string[]> => {
    const { running } = await serve();
    const server = running.server;
    const fresh = await HttpConn.open(running.port);
    const idle = await idleConnection(running.port);
    assert.ok(await waitFor(() => server.stats().open === 2, 2000));
    const closed = server.close({ timeout: 2000, acceptGrace });
    await sleep(50);
    const refused = await HttpConn.open(running.port).then(
      (conn) => (conn.destroy(), 'connected'),
      (error: HttpConnError) => error.message,
    );
    assert.match(refused, /ECONNREFUSED/, 'the listener closes at once');
    const seen: string[] = [];
    for (const conn of [fresh, idle]) {
      const res = conn.expect({ timeoutMs: 2000 });
      await conn.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      seen.push(
        await res.then(
          (r) => `${r.status}${r.closes ? ' close' : ''}`,
          (error: HttpConnError) => error.kind,
        ),
      );
      assert.ok(await conn.waitClose(1000));
      assert.not.ok(conn.reset);
    }
    const t0 = performance.now();
    await closed;
    assert.ok(performance.now() - t0 < 1000, 'the grace ends once no connection is left');
    return seen;
  };
  assert.equal(await outcome(300), ['200 close', '200 close']);
  assert.equal(await outcome(0), ['closed', 'closed'], 'without the grace both connections are closed unanswered (FIN)');
});

test('closeListener(): new connections are refused, open ones keep alive; close() after it tells them to close', async () => {
  const { running } = await serve();
  const server = running.server;
  const conn = await idleConnection(running.port);
  const unlistening = server.closeListener();
  assert.is(server.closeListener(), unlistening, 'a second call returns the same promise');
  await within(unlistening, 1000);
  assert.not.ok(server.net.listening);
  const refused = await HttpConn.open(running.port).then(
    (c) => (c.destroy(), 'connected'),
    (error: HttpConnError) => error.message,
  );
  assert.match(refused, /ECONNREFUSED/);
  const ask = async (): Promise<string> => {
    const res = conn.expect({ timeoutMs: 2000 });
    await conn.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const r = await res;
    return `${r.status}${r.closes ? ' close' : ''}`;
  };
  // Until close(), nothing tells a client to reconnect (it would find the port closed).
  assert.is(await ask(), '200', 'keep-alive goes on');
  const closed = server.close({ timeout: 2000, acceptGrace: 300 });
  assert.is(await ask(), '200 close', 'within the grace: answered with Connection: close');
  assert.ok(await conn.waitClose(1000));
  assert.not.ok(conn.reset);
  await within(closed, 1500);
  assert.is(server.stats().open, 0);
});

test.run();
