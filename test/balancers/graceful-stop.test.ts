// One of two backends stopped with SIGTERM behind HAProxy and behind nginx (README "Deployment"), under
// keep-alive client load: zero failed client requests. The stopping demo closes its listener before it
// answers anything with Connection: close, so the balancer's next connection to it is refused (nothing sent),
// which both balancers retry on the other backend; requests on connections it had accepted are answered.
// When the grace ends it closes its idle connections, and a balancer may send a request on one at that very
// moment (HTTP/1.1's keep-alive race, RFC 9112 §9.3.1): nginx retries that on another backend by default;
// HAProxy needs `retry-on empty-response` (without it, about 1 run in 10 here, it closes the client's
// connection, which the client sees as a hang-up).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { haproxyConfig, nginxConfig } from '../helpers/balancer-configs.js';
import { ensureInstalled, freePort, runBalancer, type Balancer } from '../helpers/balancers.js';
import { spawnDemo, type Child } from '../helpers/child.js';
import { drainLoad } from '../helpers/drain-load.js';
import { waitFor } from '../helpers/process.js';

/** Keep-alive clients through the balancer. */
const LOOPS = 4;
/** Responses before the SIGTERM, and from the other backend after the stopped one has exited. */
const ANSWERS = 20;
/** The longest wait for them, ms (a busy machine is slow, not wrong). */
const LOAD_WAIT = 5000;

async function stopOneBackendUnderLoad(front: number, stopping: Child): Promise<void> {
  let phase = 'before SIGTERM';
  const load = drainLoad(front, LOOPS, true, () => `${phase}: `);
  assert.ok(await waitFor(() => load.tally.answered >= ANSWERS, LOAD_WAIT), `${load.tally.answered} answered before SIGTERM`);
  const exited = new Promise<number | null>((resolve) => stopping.process.once('exit', (code) => resolve(code)));
  stopping.process.kill('SIGTERM');
  phase = 'during the stop';
  assert.is(await exited, 0, 'the backend exits 0 once drained');
  phase = 'after the stop';
  const answeredAtExit = load.tally.answered;
  const servedOn = await waitFor(() => load.tally.answered - answeredAtExit >= ANSWERS, LOAD_WAIT);
  const tally = await load.stop();
  assert.equal([...tally.lostOnAnswered, ...tally.lostFresh], [], 'failed client requests');
  assert.is(tally.refused, 0, 'the balancer itself stays up');
  assert.is(tally.bad, 0, 'no 5xx from the balancer');
  assert.ok(servedOn, `${tally.answered - answeredAtExit} answered by the other backend after the stop`);
}

/** Two demos with `args` behind the balancer `run` starts; everything is stopped afterwards. */
async function withBackends(args: string[], run: (backs: number[]) => Promise<Balancer>, body: (front: number, backs: Child[]) => Promise<void>): Promise<void> {
  const backs: Child[] = [];
  let lb: Balancer | null = null;
  try {
    backs.push(await spawnDemo(args), await spawnDemo(args));
    lb = await run(backs.map((b) => b.port));
    await body(lb.port, backs);
  } finally {
    await lb?.stop();
    for (const b of backs) await b.stop();
  }
}

test('HAProxy, two backends: SIGTERM to one under keep-alive load, zero failed client requests', async () => {
  const haproxy = ensureInstalled('haproxy');
  const front = await freePort();
  await withBackends(
    ['--proxy-protocol', '--keep-alive-timeout', '65000'],
    (backs) => runBalancer(haproxy, 'haproxy.cfg', () => haproxyConfig(front, backs), (dir) => ['-db', '-f', `${dir}/haproxy.cfg`], front),
    (port, backs) => stopOneBackendUnderLoad(port, backs[0] as Child),
  );
});

test('nginx, two backends: SIGTERM to one under keep-alive load, zero failed client requests', async () => {
  const nginx = ensureInstalled('nginx');
  const front = await freePort();
  await withBackends(
    ['--trust-proxy', '127.0.0.2', '--keep-alive-timeout', '65000'],
    (backs) => runBalancer(nginx, 'nginx.conf', (dir) => nginxConfig(dir, front, backs), (dir) => ['-p', dir, '-e', `${dir}/error.log`, '-c', `${dir}/nginx.conf`], front),
    (port, backs) => stopOneBackendUnderLoad(port, backs[0] as Child),
  );
});

test.run();
