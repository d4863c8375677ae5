// The demo behind nginx (from Debian), as README "Deployment" shows it: HTTP/1.1 to an upstream with keepalive,
// X-Forwarded-For appended, the demo trusting only nginx's address. nginx connects from 127.0.0.2, so
// remoteAddress is nginx and ip is the client; a client's own X-Forwarded-For is not believed.
import http from 'node:http';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nginxConfig } from '../helpers/balancer-configs.js';
import { ensureInstalled, freePort, runBalancer } from '../helpers/balancers.js';
import { spawnDemo } from '../helpers/child.js';

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, headers }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve(JSON.parse(text) as Record<string, unknown>));
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error('no answer')));
  });
}

test('nginx, upstream keepalive + X-Forwarded-For: the client\'s address is req.ip, spoofing is ignored, backend connections are reused', async () => {
  const nginx = ensureInstalled('nginx');
  const demo = await spawnDemo(['--trust-proxy', '127.0.0.2', '--keep-alive-timeout', '65000']);
  const front = await freePort();
  const lb = await runBalancer(nginx, 'nginx.conf', (dir) => nginxConfig(dir, front, [demo.port]), (dir) => ['-p', dir, '-e', `${dir}/error.log`, '-c', `${dir}/nginx.conf`], front);
  try {
    for (let i = 0; i < 8; i++) {
      // Every client request on a new connection; a spoofed X-Forwarded-For on every other one.
      const body = await get(front, '/whoami', i % 2 === 0 ? {} : { 'X-Forwarded-For': '6.6.6.6' });
      assert.equal([body.remoteAddress, body.ip, body.protocol, body.host], ['127.0.0.2', '127.0.0.1', 'http', `127.0.0.1:${front}`]);
    }
    const stats = (await get(front, '/stats')) as { accepted: number; requests: number };
    assert.is(stats.requests, 9);
    assert.is(stats.accepted, 1, `nine requests on ${stats.accepted} backend connection(s)`);
  } finally {
    await lb.stop();
    await demo.stop();
  }
});

test.run();
