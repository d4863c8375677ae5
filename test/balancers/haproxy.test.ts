// The demo behind HAProxy (from Debian), as README "Deployment" shows it: PROXY protocol v2 to the backend and
// HTTP keep-alive between them. HAProxy connects from 127.0.0.2, so the client's 127.0.0.1 and its port can
// only have come through the PROXY header.
import http from 'node:http';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { haproxyConfig } from '../helpers/balancer-configs.js';
import { ensureInstalled, freePort, runBalancer } from '../helpers/balancers.js';
import { spawnDemo } from '../helpers/child.js';

function get(agent: http.Agent, port: number, path: string): Promise<{ socketPort: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ socketPort: req.socket?.localPort ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error('no answer')));
  });
}

test('HAProxy, PROXY v2 + keep-alive: the client\'s address and port reach the handler; one backend connection serves them all', async () => {
  const haproxy = ensureInstalled('haproxy');
  const demo = await spawnDemo(['--proxy-protocol', '--keep-alive-timeout', '65000']);
  const front = await freePort();
  const lb = await runBalancer(haproxy, 'haproxy.cfg', () => haproxyConfig(front, [demo.port]), (dir) => ['-db', '-f', `${dir}/haproxy.cfg`], front);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const seen = [];
    for (let i = 0; i < 5; i++) seen.push(await get(agent, front, '/whoami'));
    for (const { socketPort, body } of seen) {
      assert.is(body.remoteAddress, '127.0.0.1', 'the client, not HAProxy\'s 127.0.0.2');
      assert.is(body.remotePort, socketPort, 'the client\'s own port');
      assert.is(body.ip, '127.0.0.1');
    }
    const stats = (await get(agent, front, '/stats')).body as { accepted: number; requests: number; closes: Record<string, number> };
    assert.is(stats.accepted, 1, `one backend connection (accepted ${stats.accepted})`);
    assert.is(stats.requests, 6);
    assert.is(stats.closes['proxy-header'], 0);
  } finally {
    agent.destroy();
    await lb.stop();
    await demo.stop();
  }
});

test.run();
