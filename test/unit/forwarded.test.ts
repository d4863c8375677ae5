// Trusted forwarding: the chain walked right to left, believed only through trusted peers; Forwarded
// (RFC 7239) before X-Forwarded-*; every trustProxy form; malformed Forwarded believed in no part.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileTrust, forwardedHops, resolveForwarding, type Forwarding, type TrustProxy } from '../../lib/forwarded.js';
import { Request, type RequestOrigin } from '../../lib/request.js';
import { requestHead } from '../helpers/fixtures.js';

const PEER = '10.0.0.2';
const own: Forwarding = { ip: PEER, protocol: 'http', host: 'internal:8080' };

function resolve(trust: TrustProxy, headers: Record<string, string>, peer = PEER): Forwarding {
  return resolveForwarding({ ...own, ip: peer }, (name) => headers[name], compileTrust(trust));
}

test('nobody is trusted by default: headers are ignored', () => {
  const h = { 'x-forwarded-for': '1.2.3.4', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil', forwarded: 'for=1.2.3.4' };
  assert.equal(resolveForwarding(own, (n) => h[n as keyof typeof h], compileTrust(undefined)), own);
  assert.equal(resolve(false, h), own);
  assert.equal(resolve(0, h), own);
  assert.equal(resolve([], h), own);
});

test('X-Forwarded-For: right to left, stopping at the first untrusted address (spoofing)', () => {
  // The client wrote "6.6.6.6" itself; the trusted proxy 10.0.0.2 appended the address it saw.
  const h = { 'x-forwarded-for': '6.6.6.6, 203.0.113.9', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'shop.example' };
  assert.equal(resolve('10.0.0.0/8', h), { ip: '203.0.113.9', protocol: 'https', host: 'shop.example' });
  assert.equal(resolve('loopback', h), own, 'an untrusted peer\'s headers are ignored');
  assert.equal(resolve(true, h).ip, '6.6.6.6', 'trusting everyone believes the client\'s own claim');
  assert.equal(resolve(1, h).ip, '203.0.113.9', 'one hop');
  assert.equal(resolve(2, h).ip, '6.6.6.6', 'two hops');
  assert.equal(resolve('10.0.0.2, 203.0.113.9', h).ip, '6.6.6.6', 'a comma list');
  assert.equal(resolve((address) => address.startsWith('10.'), h).ip, '203.0.113.9', 'a function');
  assert.equal(resolve(['10.0.0.0/8', '203.0.113.0/24'], { 'x-forwarded-for': '203.0.113.1, 203.0.113.9' }).ip, '203.0.113.1', 'all trusted: the leftmost');
  assert.equal(resolve('10.0.0.0/8', {}), own, 'a trusted peer that forwards nothing');
});

test('X-Forwarded-Proto/-Host line up with -For when they have as many values', () => {
  const h = { 'x-forwarded-for': '198.51.100.1, 10.0.0.9', 'x-forwarded-proto': 'https, http', 'x-forwarded-host': 'outer, inner' };
  assert.equal(resolve('10.0.0.0/8', h), { ip: '198.51.100.1', protocol: 'https', host: 'outer' });
  assert.equal(resolve(1, h), { ip: '10.0.0.9', protocol: 'http', host: 'inner' });
  assert.equal(resolve(1, { 'x-forwarded-for': '198.51.100.1', 'x-forwarded-proto': 'no way' }).protocol, 'http', 'a bad scheme is ignored');
});

test('Forwarded (RFC 7239) wins over X-Forwarded-*, with ports, IPv6 and quoting', () => {
  const h = {
    forwarded: 'for=6.6.6.6;proto=https, for="[2001:db8::1]:4711";proto=HTTPS;host="shop.example:443", for="10.1.1.1:80";by=x',
    'x-forwarded-for': '7.7.7.7',
  };
  assert.equal(resolve('10.0.0.0/8', h), { ip: '2001:db8::1', protocol: 'https', host: 'shop.example:443' });
  assert.equal(resolve('10.0.0.0/8, 2001:db8::/32', h), { ip: '6.6.6.6', protocol: 'https', host: 'shop.example:443' });
  assert.equal(resolve(true, { forwarded: 'for=unknown, for=_hidden' }).ip, 'unknown', 'non-IP nodes are never trusted');
  assert.equal(resolve(true, { forwarded: 'proto=https' }), own, 'no for=: nothing about the client');
});

test('a malformed Forwarded field is believed in no part', () => {
  for (const value of ['for="1.2.3.4', 'for', '=1.2.3.4', 'for=1.2.3.4 5', 'f r=1', 'for=1.2.3.4;;proto=http"', 'for=1.2.3.4:80']) {
    assert.equal(forwardedHops(value), [], value);
    assert.equal(resolve(true, { forwarded: value }), own, value);
  }
  assert.equal(forwardedHops('For="a\\"b";PROTO=http'), [{ for: 'a"b', proto: 'http', host: undefined }]);
});

test('trustProxy values that are not trust are refused at createServer', () => {
  for (const bad of [-1, 1.5, 'not-an-ip', [3], {}] as unknown[]) {
    assert.throws(() => compileTrust(bad as TrustProxy), TypeError, JSON.stringify(bad));
  }
});

test('req.ip, protocol, secure, host: lazy, from the origin\'s trust', () => {
  let calls = 0;
  const origin: RequestOrigin = {
    id: 1,
    remoteAddress: () => (calls++, '127.0.0.1'),
    remotePort: () => 1,
    trustProxy: compileTrust('loopback'),
  };
  const req = new Request(requestHead(['Host', 'inner', 'X-Forwarded-For', '198.51.100.4', 'X-Forwarded-Proto', 'https'], { target: '/' }), origin, 1, null);
  assert.is(calls, 0, 'nothing computed before first use');
  assert.equal([req.ip, req.protocol, req.secure, req.host], ['198.51.100.4', 'https', true, 'inner']);
  assert.is(calls, 1, 'computed once');
  const plain = new Request(requestHead(['Host', 'a'], { target: 'http://b.example:81/x' }), { id: 2, remoteAddress: () => '192.0.2.1', remotePort: () => 2, encrypted: () => true }, 1, null);
  assert.equal([plain.ip, plain.protocol, plain.secure, plain.host], ['192.0.2.1', 'https', true, 'b.example:81'], 'absolute-form authority stands for Host');
});

test.run();
