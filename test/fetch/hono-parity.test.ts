// A second, broader Hono app (test/helpers/hono-parity-app.ts) through h1wire and @hono/node-server side by
// side, as hono.test.ts does, in both modes (the light Response and overrideGlobalResponse: false): every case
// must give the same status, headers (but for those side-by-side.ts allows, with why) and body, over a socket
// (requests cut at random boundaries) and through inject() (cut into random pieces too).
import { gunzipSync } from 'node:zlib';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { fetchHandler } from '../../lib/fetch-handler.js';
import { inject } from '../../lib/inject.js';
import { exchange } from '../helpers/exchange.js';
import { honoParityApp, LONG_TEXT } from '../helpers/hono-parity-app.js';
import type { Response as ParsedResponse } from '../helpers/response-parser.js';
import {
  comparable,
  field,
  injected,
  restoreUndiciGlobals,
  sideBySide,
  unframed,
  withoutAddedType,
  type Comparable,
  type Mode,
  type Sent,
} from '../helpers/side-by-side.js';
import { pieces, prng } from '../helpers/wire.js';

const H = 'Host: example.test\r\n';
const AUTH = `Basic ${Buffer.from('ada:lovelace').toString('base64')}`;

function post(path: string, type: string, body: string | Buffer, extra = ''): Buffer {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return Buffer.concat([Buffer.from(`POST ${path} HTTP/1.1\r\n${H}Content-Type: ${type}\r\nContent-Length: ${bytes.length}\r\n${extra}\r\n`, 'latin1'), bytes]);
}

const BOUNDARY = '----h1wireBoundary7MA4YWxkTrZu0gW';
const MULTIPART = [
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="title"\r\n\r\nnotes\r\n`,
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="tag"\r\n\r\none\r\n`,
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="tag"\r\n\r\ntwo\r\n`,
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="upload"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nfile body\nline 2\r\n`,
  `--${BOUNDARY}--\r\n`,
].join('');

/** 1 MiB of every byte value, for an upload echoed back. */
const MEBIBYTE = Buffer.from(Array.from({ length: 1 << 20 }, (_, i) => (i * 31 + 7) & 0xff));

/** The cases: a name and the raw request bytes. `"ETAG:<path>"` in a request is replaced by that path's tag. */
const CASES: [string, string | Buffer][] = [
  ['etag: first answer', `GET /etag/text HTTP/1.1\r\n${H}\r\n`],
  ['etag: If-None-Match → 304, headers kept, no body', `GET /etag/text HTTP/1.1\r\n${H}If-None-Match: ETAG:/etag/text\r\n\r\n`],
  ['etag: 304 keeps Cache-Control and other headers', `GET /etag/headers HTTP/1.1\r\n${H}If-None-Match: "nope", ETAG:/etag/headers\r\n\r\n`],
  ['etag: a stale tag → 200', `GET /etag/headers HTTP/1.1\r\n${H}If-None-Match: "stale"\r\n\r\n`],
  ['secure-headers', `GET /secure/page HTTP/1.1\r\n${H}\r\n`],
  ['basic-auth: none → 401 + WWW-Authenticate', `GET /private/area HTTP/1.1\r\n${H}\r\n`],
  ['basic-auth: wrong → 401', `GET /private/area HTTP/1.1\r\n${H}Authorization: Basic ${Buffer.from('ada:x').toString('base64')}\r\n\r\n`],
  ['basic-auth: right → 200', `GET /private/area HTTP/1.1\r\n${H}Authorization: ${AUTH}\r\n\r\n`],
  ['request-id from the request', `GET /id/echo HTTP/1.1\r\n${H}X-Request-Id: abc-123=\r\n\r\n`],
  ['timing: Server-Timing', `GET /timing/db HTTP/1.1\r\n${H}\r\n`],
  ['pretty-json: ?pretty', `GET /pretty/data?pretty HTTP/1.1\r\n${H}\r\n`],
  ['pretty-json: plain', `GET /pretty/data HTTP/1.1\r\n${H}\r\n`],
  ['body-limit: under', post('/limited', 'text/plain', 'short')],
  ['body-limit: over → 413', post('/limited', 'text/plain', 'x'.repeat(40))],
  [
    'body-limit: chunked over → 413',
    `POST /limited HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n10\r\n${'y'.repeat(16)}\r\n10\r\n${'z'.repeat(16)}\r\n0\r\n\r\n`,
  ],
  ['body-limit: chunked under', `POST /limited HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n3\r\nefg\r\n0\r\n\r\n`],
  ['compress: gzip', `GET /gz/text HTTP/1.1\r\n${H}Accept-Encoding: gzip, deflate\r\n\r\n`],
  ['compress: not asked', `GET /gz/text HTTP/1.1\r\n${H}\r\n`],
  ['compress: under the threshold', `GET /gz/small HTTP/1.1\r\n${H}Accept-Encoding: gzip\r\n\r\n`],
  ['method-override: a form field', post('/override/form', 'application/x-www-form-urlencoded', '_method=DELETE&keep=1')],
  ['method-override: a header', post('/override/header', 'text/plain', 'kept', 'X-HTTP-Method-Override: DELETE\r\n')],
  ['timeout → 504', `GET /slow HTTP/1.1\r\n${H}\r\n`],
  ['trailing-slash: 301 to the trimmed path', `GET /slash/page/?a=1 HTTP/1.1\r\n${H}\r\n`],
  ['trailing-slash: the page', `GET /slash/page HTTP/1.1\r\n${H}\r\n`],
  [
    'cors preflight with credentials',
    `OPTIONS /cors/data HTTP/1.1\r\n${H}Origin: https://b.example\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: X-Agent\r\n\r\n`,
  ],
  ['cors: allowed origin', `GET /cors/data HTTP/1.1\r\n${H}Origin: https://a.example\r\n\r\n`],
  ['cors: other origin', `GET /cors/data HTTP/1.1\r\n${H}Origin: https://evil.example\r\n\r\n`],
  ['redirect 302', `GET /go/temporary HTTP/1.1\r\n${H}\r\n`],
  ['redirect 301, absolute Location', `GET /go/permanent HTTP/1.1\r\n${H}\r\n`],
  ['c.html, non-ASCII', `GET /page HTTP/1.1\r\n${H}\r\n`],
  ['c.body(null, 204)', `GET /empty HTTP/1.1\r\n${H}\r\n`],
  ['c.body(null, 205)', `GET /reset HTTP/1.1\r\n${H}\r\n`],
  ['418 text', `GET /teapot HTTP/1.1\r\n${H}\r\n`],
  ['latin-1, empty and appended header values', `GET /latin-header HTTP/1.1\r\n${H}\r\n`],
  ['c.body(Uint8Array)', `GET /bytes HTTP/1.1\r\n${H}\r\n`],
  ['c.body(ArrayBuffer)', `GET /array-buffer HTTP/1.1\r\n${H}\r\n`],
  ['c.body(Blob)', `GET /blob HTTP/1.1\r\n${H}\r\n`],
  ['c.newResponse with a statusText', `GET /status-text HTTP/1.1\r\n${H}\r\n`],
  ['new Response with a statusText', `GET /reason HTTP/1.1\r\n${H}\r\n`],
  ['ReadableStream body', `GET /stream HTTP/1.1\r\n${H}\r\n`],
  ['streamSSE', `GET /sse HTTP/1.1\r\n${H}\r\n`],
  ['setCookie ×3 and deleteCookie', `GET /cookies/set HTTP/1.1\r\n${H}\r\n`],
  ['getCookie', `GET /cookies/read HTTP/1.1\r\n${H}Cookie: session=s%20one; theme=dark\r\nCookie: extra=1\r\n\r\n`],
  ['query: percent-encoded, unicode, repeated', `GET /query?q=a%20b%2Bc&tag=%E2%9C%93&tag=caf%C3%A9&tag=&plus=1+2&raw=%ZZ HTTP/1.1\r\n${H}\r\n`],
  ['header: repeated request headers', `GET /header HTTP/1.1\r\n${H}Accept: text/html\r\nX-Multi: one\r\nAccept: application/json\r\nX-Multi: two\r\n\r\n`],
  ['parseBody: multipart with a file', post('/parse', `multipart/form-data; boundary=${BOUNDARY}`, MULTIPART)],
  ['parseBody: urlencoded', post('/parse', 'application/x-www-form-urlencoded', 'name=h1+wire&tag=a&tag=%C3%A9&empty=')],
  ['json: a body starting with a UTF-8 BOM', post('/json', 'application/json', '\ufeff{"bom":true}')],
  ['text: a UTF-8 BOM, then text', post('/text', 'text/plain', '\ufeffhello')],
  ['text: invalid UTF-8', post('/text', 'text/plain', Buffer.from([0x61, 0xc3, 0x28, 0xe2, 0x82, 0xf0, 0x9f, 0x98, 0x62, 0xed, 0xa0, 0x80, 0x63]))],
  ['blob: the type as fetch parses it', post('/blob', 'Text/Plain; Charset="utf-8"; x=1', 'blob')],
  ['blob: an invalid type', post('/blob', 'not a type', 'blob')],
  ['request header: UTF-8 bytes', Buffer.concat([Buffer.from(`GET /latin-request HTTP/1.1\r\n${H}X-Name: caf`), Buffer.from('é', 'utf8'), Buffer.from('\r\n\r\n')])],
  ['json: invalid → default 500', post('/json', 'application/json', '{"a":')],
  ['json: invalid → sub-app onError', post('/handled/json', 'application/json', '{oops}')],
  ['1 MiB upload echoed back', post('/echo', 'application/octet-stream', MEBIBYTE)],
  ['chunked request body', `POST /echo HTTP/1.1\r\n${H}Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n1;ext=1\r\nd\r\n0\r\nX-Trailer: t\r\n\r\n`],
  ['POST with Content-Length: 0', post('/has-body', 'text/plain', '')],
  ['POST with no body', `POST /has-body HTTP/1.1\r\n${H}\r\n`],
  ['POST with a body', post('/has-body', 'text/plain', 'x')],
  ['Transfer-Encoding set by the app', `GET /te-chunked HTTP/1.1\r\n${H}\r\n`],
  ['a stream with its Content-Length', `GET /stream-length HTTP/1.1\r\n${H}\r\n`],
  ['Response.error()', `GET /error-response HTTP/1.1\r\n${H}\r\n`],
  ['unknown route → default 404', `GET /nowhere/at/all HTTP/1.1\r\n${H}\r\n`],
  ['wrong method → 404', `PUT /page HTTP/1.1\r\n${H}Content-Length: 0\r\n\r\n`],
  ['thrown → default 500', `GET /throw HTTP/1.1\r\n${H}\r\n`],
  ['thrown → sub-app onError', `GET /handled/throw HTTP/1.1\r\n${H}\r\n`],
  ['url: Host with a port', `GET /url?x=1 HTTP/1.1\r\nHost: example.test:8080\r\n\r\n`],
  ['url: absolute-form target', `GET http://other.test:81/url?y=2 HTTP/1.1\r\n${H}\r\n`],
  ['url: dot segments', `GET /a/../url HTTP/1.1\r\n${H}\r\n`],
  ['url: Host in upper case, default port', `GET /url?%7Bq%7D={"a"} HTTP/1.1\r\nHost: EXAMPLE.test:80\r\n\r\n`],
  ['url: OPTIONS *', `OPTIONS * HTTP/1.1\r\n${H}\r\n`],
  ['request.signal', `GET /signal HTTP/1.1\r\n${H}\r\n`],
];

/**
 * Where node-server answers otherwise and h1wire is kept as it is: the case, the modes, why, and what h1wire
 * must send. Each is also asserted to still differ, so that an allowance goes when node-server changes.
 */
const KEPT_DIFFERENCES: Record<string, { modes: Mode[]; why: string; ours: { status: number; body: string }; framingOnly?: true }> = {
  // Hono's body-limit (for a body with no Content-Length) and method-override (by header) rebuild the request
  // as `new Request(c.req.raw, init)`. undici's Request refuses a server's lazy request as input; node-server's
  // global override (on by default, off here so that it does not replace this process's globals) and h1wire's
  // default global Request accept it. With the light Response h1wire answers where node-server without its
  // override fails (500); with `overrideGlobalResponse: false` both fail alike, so that mode is compared as usual.
  'body-limit: chunked under': { modes: ['light'], why: 'new Request(c.req.raw, init) works', ours: { status: 200, body: 'took 7' } },
  'method-override: a header': {
    modes: ['light'],
    why: 'new Request(c.req.raw, init) works',
    ours: { status: 200, body: '{"method":"DELETE","body":"kept"}' },
  },
  // RFC 9112 §6: a message body is signaled by Content-Length or Transfer-Encoding; with neither there is none,
  // so request.body is null. node-server gives every request but GET and HEAD a body stream.
  'POST with no body': { modes: ['light', 'undici'], why: 'no message body, RFC 9112 §6', ours: { status: 200, body: '{"body":false}' } },
  // Transfer-Encoding is hop-by-hop (RFC 9112 §6.1): the server frames. h1wire drops the app's and, the body
  // being in memory, sends its Content-Length; node:http sends it chunked as the app said. Only framing differs.
  'Transfer-Encoding set by the app': {
    modes: ['light', 'undici'],
    why: 'the server frames the body',
    ours: { status: 200, body: 'framed by the server' },
    framingOnly: true,
  },
  // `OPTIONS *` is a valid request for the server as a whole (RFC 9112 §3.2.4). No URL has `*` for a path, so
  // h1wire hands the app the URL of `/` (here Hono has no OPTIONS route: 404); node-server answers 400.
  'url: OPTIONS *': { modes: ['light', 'undici'], why: 'asterisk-form is valid', ours: { status: 404, body: '404 Not Found' } },
  // A Response no server can send (status 0, a network error): a 500 on both, each in its own words. h1wire's
  // is its error body for any bad handler outcome (code H1W_INVALID_STATUS); node-server's is the text of
  // node:http's exception.
  'Response.error()': {
    modes: ['light', 'undici'],
    why: "the server's own 500",
    ours: { status: 500, body: '{"error":{"status":500,"code":"H1W_INVALID_STATUS","message":"Internal Server Error"}}' },
  },
};

/** A gzip body compared as the text it holds (each server's compressor may cut its output differently). */
function decoded(res: Comparable): Comparable {
  if (!res.headers.includes('content-encoding: gzip')) return res;
  return { ...res, body: gunzipSync(Buffer.from(res.body, 'latin1')).toString('latin1') };
}

function sentOf(res: ParsedResponse): Sent {
  return { status: res.status, headers: res.headers, body: res.body };
}

function handlerFor(fetch: (request: Request) => Response | Promise<Response>, mode: Mode): ReturnType<typeof fetchHandler> {
  return fetchHandler(fetch, mode === 'light' ? {} : { overrideGlobalResponse: false });
}

/** Each case's request with `ETAG:<path>` replaced by that path's tag, as h1wire sends it. */
async function requests(port: number): Promise<[string, Buffer][]> {
  const tags = new Map<string, string>();
  for (const path of ['/etag/text', '/etag/headers']) {
    const [first] = await exchange(port, `GET ${path} HTTP/1.1\r\n${H}\r\n`);
    tags.set(path, field(first!, 'etag')!);
  }
  return CASES.map(([name, raw]) => [
    name,
    typeof raw === 'string' ? Buffer.from(raw.replace(/ETAG:(\S+)/, (_, path: string) => tags.get(path)!), 'latin1') : raw,
  ]);
}

const parity = suite('hono parity: a broader app through h1wire and @hono/node-server');

parity.after.each(restoreUndiciGlobals);

async function everyCase(mode: Mode): Promise<void> {
  const app = honoParityApp();
  const pair = await sideBySide(app.fetch, mode);
  const handler = handlerFor(app.fetch, mode);
  // Hono's default onError and node-server log each 500 they answer with console.error: expected here.
  const log = console.error;
  console.error = () => {};
  try {
    for (const [index, [name, request]] of (await requests(pair.h1Port)).entries()) {
      const [ours] = await exchange(pair.h1Port, request, { seed: index + 1 });
      const [theirs] = await exchange(pair.nodePort, request);
      const viaInject = await inject(handler, pieces(request, 'random', prng(index + 100)));
      const mine = decoded(comparable(sentOf(ours!)));
      const other = withoutAddedType(decoded(comparable(sentOf(theirs!))), mine);
      const kept = KEPT_DIFFERENCES[name];
      if (kept !== undefined && kept.modes.includes(mode)) {
        assert.equal({ status: mine.status, body: mine.body }, kept.ours, `${name}: h1wire (${kept.why})`);
        assert.not.equal(other, mine, `${name}: node-server answers as h1wire now: the allowance goes`);
        if (kept.framingOnly) assert.equal(unframed(sentOf(ours!)), withoutAddedType(unframed(sentOf(theirs!)), mine), `${name}: but for framing`);
      } else {
        assert.equal(mine, other, `${name}: h1wire and node-server`);
      }
      // inject reads back what the socket got: the same status, reason, headers and body.
      assert.equal(decoded(comparable(injected(viaInject))), mine, `${name}: inject and the socket`);
      assert.is(viaInject.reason, ours!.reason, `${name}: inject's reason phrase`);
    }
  } finally {
    console.error = log;
    await pair.close();
  }
}

parity('every case, with the default light Response: socket (cut at random), node-server and inject alike', async () => {
  await everyCase('light');
});

parity('every case again with overrideGlobalResponse: false', async () => {
  await everyCase('undici');
});

parity('compress: the gzip body holds the text, and is gzip on the wire', async () => {
  const pair = await sideBySide(honoParityApp().fetch);
  try {
    const [ours] = await exchange(pair.h1Port, `GET /gz/text HTTP/1.1\r\n${H}Accept-Encoding: gzip\r\n\r\n`);
    assert.is(field(ours!, 'content-encoding'), 'gzip');
    assert.is(gunzipSync(ours!.body).toString(), LONG_TEXT);
    assert.ok(ours!.body.length < LONG_TEXT.length / 4, 'compressed');
  } finally {
    await pair.close();
  }
});

const HEAD_PATHS = ['/etag/text', '/secure/page', '/gz/text', '/stream', '/blob', '/bytes', '/cookies/set', '/page', '/sse', '/go/temporary', '/nowhere'];

for (const mode of ['light', 'undici'] as const) {
  parity(`HEAD on GET routes (${mode}): the GET's headers, no body, a Content-Length only if the GET's`, async () => {
    const app = honoParityApp();
    const pair = await sideBySide(app.fetch, mode);
    const handler = handlerFor(app.fetch, mode);
    try {
      for (const path of HEAD_PATHS) {
        const head = `HEAD ${path} HTTP/1.1\r\n${H}\r\n`;
        const [ours] = await exchange(pair.h1Port, head, { head: () => true, seed: path.length });
        const [theirs] = await exchange(pair.nodePort, head, { head: () => true });
        const [get] = await exchange(pair.h1Port, `GET ${path} HTTP/1.1\r\n${H}\r\n`);
        const viaInject = await inject(handler, head);
        assert.equal(unframed(sentOf(ours!)), withoutAddedType(unframed(sentOf(theirs!)), unframed(sentOf(ours!))), path);
        assert.is(ours!.body.length, 0, path);
        // RFC 9110 §8.6: a Content-Length on a HEAD answer MUST be what the GET would send.
        const length = field(ours!, 'content-length');
        if (length !== undefined) assert.is(length, String(get!.body.length), `${path}: the GET's length`);
        assert.equal(comparable(injected(viaInject)), comparable(sentOf(ours!)), `${path}: inject and the socket`);
      }
    } finally {
      await pair.close();
    }
  });
}

parity('a custom statusText is the reason phrase on h1wire (socket and inject); node-server sends the standard one', async () => {
  // node-server calls writeHead(status, headers) and drops statusText; h1wire sends what the app said (the
  // reason phrase carries no meaning for a client, RFC 9112 §4, so either is valid HTTP): a difference kept.
  const app = honoParityApp();
  const pair = await sideBySide(app.fetch);
  try {
    const request = `GET /reason HTTP/1.1\r\n${H}\r\n`;
    const [ours] = await exchange(pair.h1Port, request);
    const [theirs] = await exchange(pair.nodePort, request);
    const viaInject = await inject(handlerFor(app.fetch, 'light'), request);
    assert.is(ours!.reason, 'Queued For Later');
    assert.is(viaInject.reason, 'Queued For Later');
    assert.is(theirs!.reason, 'Accepted');
  } finally {
    await pair.close();
  }
});

parity('HTTP/1.0 with no Host: h1wire builds the URL with its default host; node-server refuses it', async () => {
  // RFC 9112 §3.3: with no Host, the target URI's authority is the server's default; HTTP/1.0 may omit Host
  // (RFC 9112 §3.2 requires it of HTTP/1.1 only). node-server answers 400 ("Missing host header"): kept apart.
  const app = honoParityApp();
  const pair = await sideBySide(app.fetch);
  try {
    const request = 'GET /url?old=1 HTTP/1.0\r\n\r\n';
    const [ours] = await exchange(pair.h1Port, request);
    const [theirs] = await exchange(pair.nodePort, request);
    const viaInject = await inject(handlerFor(app.fetch, 'light'), request);
    assert.is(ours!.status, 200);
    assert.equal(JSON.parse(ours!.body.toString()), { url: 'http://localhost/url?old=1', path: '/url', host: null });
    assert.equal(comparable(injected(viaInject)), comparable(sentOf(ours!)));
    assert.is(theirs!.status, 400);
  } finally {
    await pair.close();
  }
});

parity.run();
