// `h1wire demo --workers 2` as an operator meets it: one port answered by both workers, a worker killed with
// SIGKILL under load replaced while the load goes on, and SIGTERM to the primary draining every worker: every
// request in flight answered, zero failed requests under keep-alive load (refused at connect once the port is
// closed is not a failure: nothing was sent), and under a new connection per request no failure but the
// kernel's (connections no process accepted, shown by the workers' own counts). Round-robin everywhere;
// reuse-port too where this Node.js has it.
import http from 'node:http';
import { availableParallelism } from 'node:os';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RESTART_DELAY, reusePortSupported, SHUTDOWN_TIMEOUT } from '../../lib/cluster.js';
import { spawnDemo, type Child } from '../helpers/child.js';
import { drainLoad, type DrainTally } from '../helpers/drain-load.js';
import { sleep, waitFor } from '../helpers/process.js';

const REQUEST_TIMEOUT = 3000;
/** Concurrent clients in the load tests. */
const LOOPS = 8;
/** Responses before SIGTERM in the load tests, and the longest wait for them, ms (a busy machine is slow, not
 * wrong). */
const BEFORE = 50;
const LOAD_WAIT = 5000;

interface Answer {
  status: number;
  closes: boolean;
  body: Record<string, unknown>;
}

/** One request on its own connection. */
function get(port: number, path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, closes: res.headers.connection === 'close', body: JSON.parse(text) as Record<string, unknown> }));
      res.on('error', reject);
    });
    req.on('error', reject);
    // A connection handed to a worker that then died may never be answered nor closed: a failure, not a hang.
    req.setTimeout(REQUEST_TIMEOUT, () => req.destroy(new Error('no answer')));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function pidsAnswering(port: number, want: number): Promise<Set<number>> {
  const pids = new Set<number>();
  for (let i = 0; i < 200 && pids.size < want; i++) pids.add((await get(port, '/whoami')).body.pid as number);
  return pids;
}

const BALANCES = reusePortSupported() ? ['round-robin', 'reuse-port'] : ['round-robin'];

for (const balance of BALANCES) {
  const spawn = (): Promise<Child> => spawnDemo(['--workers', '2', '--balance', balance]);

  test(`${balance}: two workers answer on one port; /stats and /whoami name the worker`, async () => {
    const demo = await spawn();
    try {
      const pids = await pidsAnswering(demo.port, 2);
      assert.is(pids.size, 2, 'both workers answered');
      assert.not.ok(pids.has(demo.pid), 'the primary answers nothing');
      const stats = await get(demo.port, '/stats');
      assert.ok(pids.has(stats.body.pid as number));
      assert.type(stats.body.requests, 'number');
    } finally {
      await demo.stop();
    }
  });

  test(`${balance}: a worker killed with SIGKILL under load is replaced; the load is served throughout`, async () => {
    const demo = await spawn();
    try {
      const before = await pidsAnswering(demo.port, 2);
      const [victim] = [...before] as [number];
      let ok = 0;
      let failed = 0;
      let okAfterKill = 0;
      let killedAt = Infinity;
      const seen = new Set<number>();
      let running = true;
      const loop = async (): Promise<void> => {
        while (running) {
          try {
            const answer = await get(demo.port, '/whoami');
            if (answer.status === 200) ok++;
            if (performance.now() > killedAt) {
              okAfterKill++;
              seen.add(answer.body.pid as number);
            }
          } catch {
            failed++; // a connection the dead worker held
          }
        }
      };
      const loops = Array.from({ length: 4 }, loop);
      await sleep(300);
      process.kill(victim, 'SIGKILL');
      killedAt = performance.now();
      const replaced = await waitFor(() => [...seen].some((pid) => !before.has(pid)), 5000);
      await sleep(200);
      running = false;
      await Promise.all(loops);
      assert.ok(replaced, `a new worker answered (seen after the kill: ${[...seen].join(', ')})`);
      assert.not.ok(alive(victim));
      assert.ok(okAfterKill > 50, `${okAfterKill} answered after the kill`);
      // Lost: what the dead worker held — the 4 in flight, and (reuse-port) connections the kernel had queued on
      // its socket before it closed, which go down with it.
      assert.ok(failed <= 16, `${failed} failed`);
      assert.ok(ok > 100);
    } finally {
      await demo.stop();
    }
  });

  test(`${balance}: SIGTERM to the primary drains both workers: every request in flight is answered`, async () => {
    const demo = await spawn();
    const workers = await pidsAnswering(demo.port, 2);
    const exited = new Promise<number | null>((resolve) => demo.process.once('exit', (code) => resolve(code)));
    // Eight requests in flight across both workers, then SIGTERM while they are being handled.
    const inFlight = Array.from({ length: 8 }, () => get(demo.port, '/slow?ms=500'));
    await sleep(200);
    demo.process.kill('SIGTERM');
    const answers = await Promise.allSettled(inFlight);
    const failures = answers.filter((a) => a.status === 'rejected');
    assert.is(failures.length, 0, `failed: ${failures.map((f) => String((f as PromiseRejectedResult).reason)).join('; ')}`);
    for (const a of answers) {
      const answer = (a as PromiseFulfilledResult<Answer>).value;
      assert.is(answer.status, 200);
      assert.ok(answer.closes, 'answered with Connection: close');
    }
    assert.is(new Set(answers.map((a) => (a as PromiseFulfilledResult<Answer>).value.body.slept)).size, 1);
    assert.is(await exited, 0, 'the primary exits 0 once every worker is done');
    for (const pid of workers) assert.not.ok(alive(pid), `worker ${pid} is gone`);
    const after = await get(demo.port, '/').then(() => 'answered', (error: NodeJS.ErrnoException) => error.code);
    assert.is(after, 'ECONNREFUSED', 'nothing listens any more');
  });
  test(`${balance}: SIGTERM while a replacement worker is starting: it is stopped too, the primary exits promptly`, async () => {
    const demo = await spawn();
    const [victim] = [...(await pidsAnswering(demo.port, 2))] as [number];
    const exited = new Promise<number | null>((resolve) => demo.process.once('exit', (code) => resolve(code)));
    process.kill(victim, 'SIGKILL');
    // The replacement is forked after RESTART_DELAY (100 ms) and takes longer than that to start.
    await sleep(RESTART_DELAY + 50);
    const signalledAt = performance.now();
    demo.process.kill('SIGTERM');
    assert.is(await exited, 0);
    const took = performance.now() - signalledAt;
    // A "stop" sent before the worker listened for it was lost: the primary waited for the kill at 12 s.
    assert.ok(took < SHUTDOWN_TIMEOUT / 2, `the primary took ${took.toFixed(0)} ms to exit`);
  });

  /** SIGTERM to the primary once a load has had BEFORE answers, then the load until the primary has exited; the client's
   * tally and the shutdown report the demo logged. */
  const sigtermUnderLoad = async (keepAlive: boolean): Promise<{ code: number | null; tally: DrainTally; report: Report }> => {
    const demo = await spawn();
    let log = '';
    demo.process.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    const exited = new Promise<number | null>((resolve) => demo.process.once('exit', (code) => resolve(code)));
    let terminated = false;
    const load = drainLoad(demo.port, LOOPS, keepAlive, () => (terminated ? 'after SIGTERM: ' : 'before SIGTERM: '));
    // With keep-alive, every client has its connection (one answer on it) first: a client whose very first connect
    // is still in a listener's accept queue when SIGTERM closes it meets the kernel's reset, which is the
    // connection-per-request case below, counted there; this test is about requests on kept connections.
    const ready = (): boolean => load.tally.answered >= BEFORE && (!keepAlive || load.tally.answeredSockets >= LOOPS);
    assert.ok(await waitFor(ready, LOAD_WAIT), `${load.tally.answered} answered on ${load.tally.answeredSockets} connections before SIGTERM`);
    demo.process.kill('SIGTERM');
    terminated = true;
    const code = await exited;
    await sleep(100); // the clients meet the closed port
    const tally = await load.stop();
    return { code, tally, report: parseReport(log) };
  };

  test(`${balance}: SIGTERM under keep-alive load: zero failed requests; every accepted connection answered`, async () => {
    const { code, tally, report } = await sigtermUnderLoad(true);
    assert.is(code, 0);
    assert.is(tally.bad, 0);
    // Zero: the listeners close before any worker answers with Connection: close, so a client told to close
    // reconnects to a closed port (refused: nothing was sent, it retries elsewhere).
    assert.equal([...tally.lostOnAnswered, ...tally.lostFresh], [], 'failed requests');
    assert.ok(tally.closes >= LOOPS, `each client was told Connection: close (${tally.closes})`);
    assert.ok(tally.refused > 0, 'then refused: the port is closed');
    assertAccounted(tally, report);
  });

  test(`${balance}: SIGTERM under new-connection-per-request load: a failure is only a connection no process accepted`, async () => {
    const { code, tally, report } = await sigtermUnderLoad(false);
    assert.is(code, 0);
    assert.is(tally.bad, 0);
    assert.equal(tally.lostOnAnswered, [], 'a request cut after its connection answered');
    assert.not.ok(tally.lostFresh.some((l) => l.startsWith('before')), `cut before SIGTERM: ${tally.lostFresh.join('; ')}`);
    // Each new connection sends its request at once, so every connection a worker accepted was answered
    // (accepted == connections with a response): a connection reset with nothing back was accepted by no
    // process. It was in the kernel's accept queue of a listener as it closed (Linux resets those,
    // tcp_migrate_req = 0); user space cannot close a listener atomically with its last accept. Counted and
    // shown, and README "All cores, one port" says so; zero under new connections needs the balancer to stop
    // sending them first.
    assertAccounted(tally, report);
    for (const l of tally.lostFresh) assert.match(l, /ECONNRESET|EPIPE/, l);
    if (tally.lostFresh.length > 0) console.log(`  ${balance}: ${tally.lostFresh.length} connection(s) reset in a closing listener's accept queue`);
  });
}

interface Report {
  workers: { accepted: number; requests: number; responses: number }[];
  listener: { accepted: number; handedOver: number; dropped: number } | null;
}

/** The demo's shutdown lines (cluster.ts describeStop). */
function parseReport(log: string): Report {
  const workers = [...log.matchAll(/stopped: worker \d+ accepted (\d+) connections, answered (\d+) of (\d+) requests/g)].map((m) => ({
    accepted: Number(m[1]),
    responses: Number(m[2]),
    requests: Number(m[3]),
  }));
  const l = /stopped: listener accepted (\d+) connections, handed over (\d+), dropped (\d+)/.exec(log);
  return { workers, listener: l === null ? null : { accepted: Number(l[1]), handedOver: Number(l[2]), dropped: Number(l[3]) } };
}

/** Server and client agree: both workers reported, each answered every request it read, every connection the
 * workers accepted carried a response to the client, and (round-robin) every connection the primary accepted
 * reached a worker. */
function assertAccounted(tally: DrainTally, report: Report): void {
  assert.is(report.workers.length, 2, 'both workers reported');
  for (const w of report.workers) assert.is(w.responses, w.requests, 'a worker answered every request it read');
  const accepted = report.workers.reduce((n, w) => n + w.accepted, 0);
  assert.is(report.workers.reduce((n, w) => n + w.responses, 0), tally.answered + tally.bad, 'every response reached the client');
  assert.is(accepted, tally.answeredSockets, 'every connection a worker accepted was answered');
  if (report.listener !== null) {
    assert.is(report.listener.dropped, 0, 'the primary dropped nothing');
    assert.is(report.listener.handedOver, report.listener.accepted, 'the primary handed over every connection it accepted');
    assert.is(accepted, report.listener.accepted, 'the workers took every connection handed over');
  }
}

test('--workers 0: one worker per core', async () => {
  const demo = await spawnDemo(['--workers', '0']);
  try {
    const cores = availableParallelism();
    const pids = await pidsAnswering(demo.port, cores + 1); // asks 200 times: more than one per core would show
    assert.is(pids.size, cores);
  } finally {
    await demo.stop();
  }
});

test.run();
