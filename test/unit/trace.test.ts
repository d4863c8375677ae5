// The tracer: one line per stage, and bounded: while its stream is full it drops lines (counting them) instead
// of buffering the server's whole life in memory, and says how many it dropped once the stream drains.
// Credential values in request and response heads are redacted unless the option asks to show them.
import { Writable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Request } from '../../lib/request.js';
import { createTracer, CREDENTIAL_HEADERS, redactHead, Tracer } from '../../lib/trace.js';

/** A stream that takes lines but reports itself full until `open()` is called, like a slow terminal. */
class SlowStream extends Writable {
  lines: string[] = [];
  private callbacks: (() => void)[] = [];
  constructor() {
    super({ highWaterMark: 1, decodeStrings: false });
  }
  override _write(chunk: string, _encoding: BufferEncoding, callback: () => void): void {
    this.lines.push(String(chunk));
    this.callbacks.push(callback);
  }
  open(): void {
    const pending = this.callbacks;
    this.callbacks = [];
    for (const cb of pending) cb();
  }
}

test('lines start with the id and the stage; CR LF on the wire are shown', () => {
  const out = new SlowStream();
  const tracer = new Tracer(out);
  tracer.event('accept', { connection: 3, remoteAddress: '127.0.0.1', remotePort: 5000 });
  assert.equal(out.lines, ['3 accept   from 127.0.0.1:5000\n']);
});

test('while the stream is full, lines are dropped and counted; after the drain the count is written', async () => {
  const out = new SlowStream();
  const tracer = new Tracer(out);
  tracer.event('idle', { connection: 1, requests: 1 }); // write() returns false: the stream is now full
  for (let i = 0; i < 5; i++) tracer.event('idle', { connection: 1, requests: 2 + i });
  assert.equal(out.lines, ['1 idle     after 1 request(s)\n'], 'nothing queued behind a full stream');
  out.open();
  await new Promise((r) => setImmediate(r)); // 'drain' is emitted after the callbacks
  assert.equal(out.lines[1], '- trace  5 line(s) dropped while the trace stream was full\n');
  out.open();
  await new Promise((r) => setImmediate(r));
  tracer.event('close', { connection: 1, reason: 'client-closed', requests: 6, bytesIn: 10, bytesOut: 20 });
  assert.is(out.lines[2], '1 close    client-closed (6 requests, 10 bytes in, 20 out)\n', 'lines flow again');
});

const CREDENTIALS = new Set(CREDENTIAL_HEADERS);

test('redactHead: credential values become [redacted N bytes]; an Authorization keeps its scheme; the rest is untouched', () => {
  const head =
    'GET /a?Cookie:x HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer abc.def.ghi\r\nproxy-authorization: Basic dXNlcjpwdw==\r\n' +
    'COOKIE: sid=s3cret; theme=dark\r\nX-Token: t0k3n\r\nAuthorization: opaque\r\n';
  assert.is(
    redactHead(head, CREDENTIALS),
    'GET /a?Cookie:x HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer [redacted 11 bytes]\r\nproxy-authorization: Basic [redacted 12 bytes]\r\n' +
      'COOKIE: [redacted 22 bytes]\r\nX-Token: t0k3n\r\nAuthorization: [redacted 6 bytes]\r\n',
  );
  // A response head: Set-Cookie, every one of them.
  const response = 'HTTP/1.1 200 OK\r\nSet-Cookie: a=1; HttpOnly\r\nSet-Cookie: b=22\r\nContent-Length: 0\r\n\r\n';
  assert.is(redactHead(response, CREDENTIALS), 'HTTP/1.1 200 OK\r\nSet-Cookie: [redacted 13 bytes]\r\nSet-Cookie: [redacted 4 bytes]\r\nContent-Length: 0\r\n\r\n');
  // Nothing to hide: the same string.
  assert.is(redactHead(head, new Set()), head);
  assert.is(redactHead('GET / HTTP/1.1\r\nAuthorization:\r\n', CREDENTIALS), 'GET / HTTP/1.1\r\nAuthorization: [redacted 0 bytes]\r\n');
});

/** Traces a parse and a frame line through the tracer `option` makes; false when it makes none. */
function traced(option: Parameters<typeof createTracer>[0]): boolean {
  const tracer = createTracer(option);
  if (tracer === null) return false;
  const request = { id: '1.1' } as Request; // all a trace line reads of it
  tracer.event('parse', { request, head: 'GET / HTTP/1.1\r\nAuthorization: Bearer tok\r\nX-Api-Key: k3y\r\n' });
  tracer.event('frame', { request, status: 200, framing: 'length', head: 'HTTP/1.1 200 OK\r\nSet-Cookie: s=1\r\n\r\n' });
  return true;
}

test('trace option: credentials redacted by default, more names on request, all shown with showCredentials', () => {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  traced(stream);
  assert.equal(lines.splice(0), [
    '1.1 parse    GET / HTTP/1.1␍␊ Authorization: Bearer [redacted 3 bytes]␍␊ X-Api-Key: k3y␍␊\n',
    '1.1 frame    length HTTP/1.1 200 OK␍␊ Set-Cookie: [redacted 3 bytes]␍␊ ␍␊\n',
  ]);
  traced({ stream, redact: ['X-API-Key'] });
  assert.equal(lines.splice(0), [
    '1.1 parse    GET / HTTP/1.1␍␊ Authorization: Bearer [redacted 3 bytes]␍␊ X-Api-Key: [redacted 3 bytes]␍␊\n',
    '1.1 frame    length HTTP/1.1 200 OK␍␊ Set-Cookie: [redacted 3 bytes]␍␊ ␍␊\n',
  ]);
  traced({ stream, redact: ['x-api-key'], showCredentials: true });
  assert.equal(lines.splice(0), [
    '1.1 parse    GET / HTTP/1.1␍␊ Authorization: Bearer tok␍␊ X-Api-Key: k3y␍␊\n',
    '1.1 frame    length HTTP/1.1 200 OK␍␊ Set-Cookie: s=1␍␊ ␍␊\n',
  ]);
  assert.is(traced(undefined), false);
  assert.is(traced(false), false);
  assert.ok(createTracer(true) instanceof Tracer);
  assert.ok(createTracer({}) instanceof Tracer, 'an empty object: stderr, redacted');
});

test('trace option: what it cannot use is a TypeError at createServer', () => {
  for (const bad of [1, 'yes', { stream: {} }, { redact: 'authorization' }, { redact: [1] }]) {
    assert.throws(() => createTracer(bad as never), (e: unknown) => e instanceof TypeError, JSON.stringify(bad));
  }
});

test.run();
