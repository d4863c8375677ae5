// `h1wire demo --workers 2` as an operator meets it: one port answered by both workers, a worker killed with
// SIGKILL under load replaced while the load goes on, and SIGTERM to the primary draining every worker with
// no request lost, and under keep-alive load every request answered or refused at connect. Round-robin
// everywhere; reuse-port too where this Node.js has it.
import http from 'node:http';
import { availableParallelism } from 'node:os';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { reusePortSupported } from '../../lib/cluster.js';
import { spawnDemo, type Child } from '../helpers/child.js';
import { sleep, waitFor } from '../helpers/process.js';

const REQUEST_TIMEOUT = 3000;
/** Concurrent clients in the load tests. */
const LOOPS = 8;

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
  test(`${balance}: SIGTERM under keep-alive load: each request is answered or refused at connect`, async () => {
    const demo = await spawn();
    const exited = new Promise<number | null>((resolve) => demo.process.once('exit', (code) => resolve(code)));
    const agent = new http.Agent({ keepAlive: true, maxSockets: LOOPS });
    let terminated = false;
    let done = false;
    const tally = { before: 0, after: 0, closes: 0, refused: 0, lost: [] as string[], bad: 0 };
    const once = (): Promise<void> =>
      new Promise((resolve) => {
        const req = http.get({ host: '127.0.0.1', port: demo.port, path: '/', agent }, (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode !== 200) tally.bad++;
            if (terminated) tally.after++;
            else tally.before++;
            if (res.headers.connection === 'close') tally.closes++;
            resolve();
          });
        });
        req.setTimeout(REQUEST_TIMEOUT, () => req.destroy(new Error('no answer')));
        req.on('error', (error: NodeJS.ErrnoException) => {
          // Refused: nothing listens any more and the request was never sent. Anything else cut a request.
          if (error.code === 'ECONNREFUSED') tally.refused++;
          else tally.lost.push(`${terminated ? 'after' : 'before'}: ${error.code ?? ''} ${error.message}`);
          setTimeout(resolve, error.code === 'ECONNREFUSED' ? 5 : 0);
        });
      });
    const loop = async (): Promise<void> => {
      while (!done) await once();
    };
    const loops = Array.from({ length: LOOPS }, loop);
    await sleep(300);
    demo.process.kill('SIGTERM');
    terminated = true;
    const code = await exited;
    await sleep(100);
    done = true;
    await Promise.all(loops);
    agent.destroy();
    assert.is(code, 0);
    assert.is(tally.bad, 0);
    assert.ok(tally.before > 50, `${tally.before} answered before SIGTERM`);
    assert.ok(tally.after >= 1 && tally.closes >= 1, `answered after SIGTERM: ${tally.after}, with Connection: close: ${tally.closes}`);
    assert.ok(tally.refused > 0, 'then refused: the port is closed');
    // Zero is the usual outcome, but not a promise: a client that reconnects (after Connection: close) just as
    // the last listener closes is reset by the kernel (reuse-port: the socket's accept queue) or by
    // node:cluster (round-robin: connections the primary holds for workers that left). About one per client at
    // most (up to 8 of 8 seen); twice that is allowed so that the test shows the limit without flaking on it.
    assert.ok(tally.lost.length <= 2 * LOOPS, `cut: ${tally.lost.join('; ')}`);
    // Each client's connection got one answer saying Connection: close (the grace), none was shut unanswered.
    assert.ok(tally.closes >= LOOPS - tally.lost.length, `${tally.closes} answers with Connection: close`);
    assert.not.ok(tally.lost.some((l) => l.startsWith('before')), `cut before SIGTERM: ${tally.lost.join('; ')}`);
  });
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
