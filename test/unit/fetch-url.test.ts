// request.url of fetchHandler's web Request is what fetch makes it: the WHATWG URL serialization of scheme,
// Host and target. The fast path (joining the bytes as they are) must agree with the URL parser whenever it is
// taken; everything else goes through the parser; what the parser refuses is a 400, not a 500.
import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { fetchHandler } from '../../lib/fetch-handler.js';
import { UndiciResponse } from '../../lib/fetch-light-response.js';
import { isSerializedHost, isSerializedTarget } from '../../lib/fetch-url.js';
import { inject } from '../../lib/inject.js';

const url = suite('fetch request.url');

url.after.each(() => {
  globalThis.Response = UndiciResponse;
});

/** The URL a fetch app sees for a request with this Host and target. */
async function seen(host: string, target: string): Promise<{ status: number; body: string }> {
  const app = fetchHandler((request: Request) => new Response(request.url));
  const res = await inject(app, `GET ${target} HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
  return { status: res.status, body: res.body.toString() };
}

url('as fetch serializes it: dot segments, case, default port, IPv4, characters the URL encodes', async () => {
  const cases: [string, string, string][] = [
    ['example.test', '/a/b?c=d', 'http://example.test/a/b?c=d'],
    ['example.test', '/a/../b/./c', 'http://example.test/b/c'],
    ['example.test', '/a/%2e%2E/b', 'http://example.test/b'],
    ['example.test', '/a/..?x=/../', 'http://example.test/?x=/../'],
    ['example.test', '/.well-known/..x', 'http://example.test/.well-known/..x'],
    ['Example.TEST', '/', 'http://example.test/'],
    ['example.test:80', '/', 'http://example.test/'],
    ['example.test:8080', '/', 'http://example.test:8080/'],
    ['example.test:080', '/', 'http://example.test/'],
    ['127.1', '/', 'http://127.0.0.1/'],
    ['10.0.0.1:3000', '/', 'http://10.0.0.1:3000/'],
    ['[::1]:8080', '/', 'http://[::1]:8080/'],
    ['example.test', '/a"b{c}`d', 'http://example.test/a%22b%7Bc%7D%60d'],
    // `^` in a path: Node 20's URL keeps it, Node 24's encodes it; request.url is what this Node's URL says.
    ['example.test', '/a^b', new URL('http://example.test/a^b').href],
    ['example.test', "/q?it's", 'http://example.test/q?it%27s'],
    ['example.test', 'http://Other.TEST:80/x/../y', 'http://other.test/y'],
  ];
  for (const [host, target, expected] of cases) {
    const got = await seen(host, target);
    assert.equal(got, { status: 200, body: expected }, `${host} ${target}`);
  }
});

url('a target and Host that make no URL are a 400 with code H1W_BAD_URL, and the connection stays', async () => {
  const app = fetchHandler((request: Request) => new Response(request.url));
  for (const host of ['example.test:99999', 'a.1']) {
    const res = await inject(app, `GET / HTTP/1.1\r\nHost: ${host}\r\n\r\nGET / HTTP/1.1\r\nHost: ok.test\r\n\r\n`);
    assert.is(res.status, 400, host);
    assert.ok(res.body.toString().includes('H1W_BAD_URL'), res.body.toString());
    assert.is(res.responses[1]?.body.toString(), 'http://ok.test/');
  }
});

const PATH_CHARS = [...'abcXYZ019./%2eE?#\'"<>`{}^|~!$&()*+,;=:@[]\\ -_é'];
const HOST_CHARS = [...'abzAZ09.-:[]%_'];

url('property: a target or Host taken as it is is exactly what the URL parser makes of it', () => {
  let targets = 0;
  let hosts = 0;
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...PATH_CHARS), { maxLength: 16 }), (chars) => {
      const target = `/${chars.join('')}`;
      if (!isSerializedTarget(target)) return;
      targets++;
      assert.is(new URL(`http://h${target}`).href, `http://h${target}`, target);
    }),
    { seed: 14, numRuns: 3000 },
  );
  for (const scheme of ['http', 'https'] as const) {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...HOST_CHARS), { minLength: 1, maxLength: 12 }), fc.option(fc.integer({ min: 0, max: 70000 })), (chars, port) => {
        const host = chars.join('') + (port === null ? '' : `:${port}`);
        if (!isSerializedHost(host, scheme)) return;
        hosts++;
        assert.is(new URL(`${scheme}://${host}/`).href, `${scheme}://${host}/`, host);
      }),
      { seed: 14, numRuns: 3000 },
    );
  }
  // Not vacuous: the fast path is taken often enough for the comparison to mean something.
  assert.ok(targets > 300 && hosts > 300, `the fast path was taken for ${targets} targets and ${hosts} hosts only`);
});

url('the fast path is taken for what real requests send', () => {
  for (const target of ['/', '/api/users/42?q=x%20y', '/a-b_c.d/e~f?g=h&i=j[0]', '/.well-known/x']) assert.ok(isSerializedTarget(target), target);
  for (const host of ['example.test', 'localhost:3000', '127.0.0.1', '10.1.2.3:8443', 'a-b.c.d']) assert.ok(isSerializedHost(host, 'http'), host);
  // Left to the parser: it rewrites these (or refuses them).
  for (const host of ['127.1', '1.2.3.04', 'a.1', 'a.0x1f', '1.2.3.4.', 'Example.test', 'a:0080', 'a:', 'a:65536', 'a:80']) {
    assert.not.ok(isSerializedHost(host, 'http'), host);
  }
  assert.not.ok(isSerializedHost('example.test:443', 'https'));
  assert.ok(isSerializedHost('example.test:443', 'http'));
});

url('one request after another on the same server: each URL from its own Host (the last verdict is reused only for the same Host)', async () => {
  const app = fetchHandler((request: Request) => new Response(request.url));
  const hosts = ['example.test:80', 'example.test:8080', 'example.test:8080', 'EXAMPLE.test:8080', 'example.test', '127.1', '127.1', 'example.test:80'];
  const requests = hosts.map((host, i) => `GET /r${i} HTTP/1.1\r\nHost: ${host}\r\n\r\n`).join('');
  const res = await inject(app, requests);
  assert.equal(
    res.responses.map((r) => r.body.toString()),
    hosts.map((host, i) => new URL(`http://${host}/r${i}`).href),
  );
});

url.run();
