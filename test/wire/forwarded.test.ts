// trustProxy as a client meets it, through the demo's GET /whoami: forwarding headers believed from a trusted
// peer only, spoofed ones from anyone else ignored, and PROXY protocol addresses walked like any other peer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ServerOptions } from '../../lib/config.js';
import { converse } from '../helpers/converse.js';
import { startDemo } from '../helpers/server.js';

async function whoami(options: ServerOptions, request: string): Promise<Record<string, unknown>> {
  const running = await startDemo(options);
  try {
    const result = await converse(running.port, [Buffer.from(request)], { responses: 1, timeoutMs: 3000 });
    const [response] = result.parsed.finals;
    assert.is(response?.status, 200, result.bytes.toString('latin1'));
    return JSON.parse((response?.body ?? Buffer.alloc(0)).toString()) as Record<string, unknown>;
  } finally {
    await running.close();
  }
}

const SPOOF = 'GET /whoami HTTP/1.1\r\nHost: inner:3000\r\nX-Forwarded-For: 6.6.6.6, 198.51.100.20\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: shop.example\r\n\r\n';

test('GET /whoami without trustProxy: the socket\'s peer, whatever the headers claim', async () => {
  const seen = await whoami({}, SPOOF);
  assert.equal({ ...seen, remotePort: 0 }, { remoteAddress: '127.0.0.1', remotePort: 0, ip: '127.0.0.1', protocol: 'http', host: 'inner:3000', pid: process.pid });
  assert.ok((seen.remotePort as number) > 0);
});

test('trustProxy loopback: the proxy on 127.0.0.1 is believed one hop, the client\'s own claim is not', async () => {
  const seen = await whoami({ trustProxy: 'loopback' }, SPOOF);
  assert.equal([seen.remoteAddress, seen.ip, seen.protocol, seen.host], ['127.0.0.1', '198.51.100.20', 'https', 'shop.example']);
});

test('trustProxy names another address: the peer on 127.0.0.1 is not it, so its headers are ignored', async () => {
  const seen = await whoami({ trustProxy: ['10.0.0.0/8'] }, SPOOF);
  assert.equal([seen.ip, seen.protocol, seen.host], ['127.0.0.1', 'http', 'inner:3000']);
});

test('PROXY protocol then forwarding: the PROXY address is the peer whose trust decides', async () => {
  const proxied = (address: string): string => `PROXY TCP4 ${address} 10.0.0.1 50000 80\r\n${SPOOF}`;
  const untrusted = await whoami({ proxyProtocol: true, trustProxy: '10.0.0.0/8' }, proxied('203.0.113.5'));
  assert.equal([untrusted.remoteAddress, untrusted.remotePort, untrusted.ip], ['203.0.113.5', 50000, '203.0.113.5']);
  const trusted = await whoami({ proxyProtocol: true, trustProxy: '10.0.0.0/8' }, proxied('10.2.2.2'));
  assert.equal([trusted.remoteAddress, trusted.ip, trusted.protocol], ['10.2.2.2', '198.51.100.20', 'https']);
});

test.run();
