// The tracer: one line per stage, and bounded: while its stream is full it drops lines (counting them) instead
// of buffering the server's whole life in memory, and says how many it dropped once the stream drains.
import { Writable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Tracer } from '../../lib/trace.js';

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

test.run();
