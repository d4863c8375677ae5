// The llhttp WebAssembly binding: callbacks become offsets into the caller's chunk.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LLHTTP, Llhttp, llhttpBuild, METHOD_NAMES, PARSER_TYPE, type LlhttpSink } from '../../native-free/llhttp.js';

class Recorder implements LlhttpSink {
  events: string[] = [];
  chunk = Buffer.alloc(0);
  private span(name: string, at: number, length: number): number {
    this.events.push(`${name}:${this.chunk.subarray(at, at + length).toString('latin1')}`);
    return 0;
  }
  onMessageBegin(): number {
    this.events.push('begin');
    return 0;
  }
  onUrl(at: number, length: number): number {
    return this.span('url', at, length);
  }
  onStatus(at: number, length: number): number {
    return this.span('status', at, length);
  }
  onHeaderField(at: number, length: number): number {
    return this.span('field', at, length);
  }
  onHeaderValue(at: number, length: number): number {
    return this.span('value', at, length);
  }
  onHeadersComplete(): number {
    this.events.push('headers');
    return 0;
  }
  onBody(at: number, length: number): number {
    return this.span('body', at, length);
  }
  onMessageComplete(): number {
    this.events.push('complete');
    return 0;
  }
}

test('the build in use is reported', () => {
  assert.type(llhttpBuild().simd, 'boolean');
});

test('method names follow llhttp numbering', () => {
  assert.is(METHOD_NAMES[1], 'GET');
  assert.is(METHOD_NAMES[0], 'DELETE');
  assert.ok(METHOD_NAMES.includes('PATCH'));
});

test('a request: spans are offsets into the chunk, from `from` on', () => {
  const sink = new Recorder();
  const p = new Llhttp(PARSER_TYPE.REQUEST, sink);
  sink.chunk = Buffer.from('xxPOST /p?q HTTP/1.1\r\nA: b\r\nContent-Length: 2\r\n\r\nhi', 'latin1');
  assert.is(p.execute(sink.chunk, 2, sink.chunk.length), LLHTTP.OK);
  assert.equal(sink.events, ['begin', 'url:/p?q', 'field:A', 'value:b', 'field:Content-Length', 'value:2', 'headers', 'body:hi', 'complete']);
  assert.is(p.method, 'POST');
  assert.is(p.versionMajor, 1);
  assert.is(p.versionMinor, 1);
  p.free();
});

test('a response parser reports the status', () => {
  const sink = new Recorder();
  const p = new Llhttp(PARSER_TYPE.RESPONSE, sink);
  sink.chunk = Buffer.from('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n', 'latin1');
  assert.is(p.execute(sink.chunk, 0, sink.chunk.length), LLHTTP.OK);
  assert.is(p.statusCode, 404);
  assert.ok(sink.events.includes('status:Not Found'));
  p.free();
});

test('errors: the code, the offset where it stopped, llhttp\'s reason; reset() starts over', () => {
  const sink = new Recorder();
  const p = new Llhttp(PARSER_TYPE.REQUEST, sink);
  sink.chunk = Buffer.from('GET / HTTP/1.1\r\nBad Header: x\r\n\r\n', 'latin1');
  const ret = p.execute(sink.chunk, 0, sink.chunk.length);
  assert.is(ret, LLHTTP.INVALID_HEADER_TOKEN);
  assert.is(p.errorOffset, 'GET / HTTP/1.1\r\nBad'.length);
  assert.ok(p.errorReason().length > 0);
  p.reset();
  sink.events = [];
  sink.chunk = Buffer.from('GET / HTTP/1.1\r\n\r\n', 'latin1');
  assert.is(p.execute(sink.chunk, 0, sink.chunk.length), LLHTTP.OK);
  assert.equal(sink.events, ['begin', 'url:/', 'headers', 'complete']);
  assert.is(p.errorReason(), '');
  p.free();
});

test('a sink that pauses: execute returns PAUSED at the byte after the message; resume() goes on', () => {
  const sink = new Recorder();
  sink.onMessageComplete = function (): number {
    this.events.push('complete');
    return LLHTTP.PAUSED;
  };
  const p = new Llhttp(PARSER_TYPE.REQUEST, sink);
  const one = 'GET /1 HTTP/1.1\r\n\r\n';
  sink.chunk = Buffer.from(one + 'GET /2 HTTP/1.1\r\n\r\n', 'latin1');
  assert.is(p.execute(sink.chunk, 0, sink.chunk.length), LLHTTP.PAUSED);
  assert.is(p.errorOffset, one.length);
  p.resume();
  assert.is(p.execute(sink.chunk, p.errorOffset, sink.chunk.length), LLHTTP.PAUSED);
  assert.equal(sink.events.filter((e) => e.startsWith('url')), ['url:/1', 'url:/2']);
  p.free();
});

test('chunks larger than the 64 KiB input area are fed in slices, offsets still relative to the chunk', () => {
  const sink = new Recorder();
  const p = new Llhttp(PARSER_TYPE.REQUEST, sink);
  const body = 'b'.repeat(200_000);
  sink.chunk = Buffer.from(`POST / HTTP/1.1\r\nContent-Length: ${body.length}\r\n\r\n${body}`, 'latin1');
  assert.is(p.execute(sink.chunk, 0, sink.chunk.length), LLHTTP.OK);
  const bodies = sink.events.filter((e) => e.startsWith('body:')).map((e) => e.slice(5));
  assert.ok(bodies.length >= 3);
  assert.is(bodies.join(''), body);
  p.free();
});

test.run();
