// Every stage can be watched: hooks with the data a user needs, a diagnostics_channel per stage (published
// only when subscribed), per-request timings, Server-Timing, and the trace, whose lines start with the
// connection or request id and the stage. A hook that throws does not take the request down.
import diagnostics from 'node:diagnostics_channel';
import net from 'node:net';
import { Writable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CHANNELS, type StageName } from '../../lib/stages.js';
import { sleep, waitFor } from '../helpers/process.js';
import { talk } from '../helpers/exact.js';
import { start } from '../helpers/server.js';

const handler = async (req: { path: string }) => {
  if (req.path === '/slow') await sleep(30);
  if (req.path === '/fail') throw new Error('on purpose');
  if (req.path === '/big') return { body: Buffer.alloc(4 * 1024 * 1024, 'b') };
  return { hello: 'world' };
};

test('hooks see every stage, with the request, byte counts, timings and the close reason', async () => {
  const seen: Record<string, Record<string, unknown>[]> = {};
  const hook = (name: string) => (event: object): void => {
    (seen[name] ??= []).push(event as Record<string, unknown>);
  };
  const server = await start(handler, {
    hooks: {
      onAccept: hook('accept'),
      onHeaders: hook('headers'),
      onHandled: hook('handled'),
      onSerialized: hook('serialized'),
      onFramed: hook('framed'),
      onWrite: hook('write'),
      onFinish: hook('finish'),
      onIdle: hook('idle'),
      onClose: hook('close'),
      onError: hook('error'),
    },
  });
  try {
    const result = await talk(server.port, 'GET /slow HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n\r\nGET /fail HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n', { responses: 2, untilClose: true });
    assert.equal(result.responses.map((r) => r.status), [200, 500]);
    assert.ok(await waitFor(() => (seen.close?.length ?? 0) === 1, 2000));
    assert.is(seen.accept?.length, 1);
    assert.equal(seen.headers?.map((e) => e.head), ['GET /slow HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n', 'GET /fail HTTP/1.1\r\nHost: h\r\nConnection: close\r\n']);
    // Handlers settle in their own order (/fail first); the events say which request they belong to.
    const handled = new Map((seen.handled ?? []).map((e) => [(e.request as { path: string }).path, e]));
    assert.ok((handled.get('/slow')?.durationMs as number) >= 25, `handle took ${handled.get('/slow')?.durationMs} ms`);
    assert.ok(handled.get('/fail')?.error instanceof Error);
    assert.equal(seen.serialized?.map((e) => [e.serializer, e.bytes]), [['json', 17]]);
    // What the frame hook saw is exactly the head that went out.
    const heads = seen.framed?.map((e) => e.head as string) ?? [];
    assert.is(heads.length, 2);
    for (const [i, res] of result.responses.entries()) assert.ok(result.bytes.toString('latin1', res.start, res.end).startsWith(heads[i] as string));
    const written = (seen.write ?? []).reduce((n, e) => n + (e.bytes as number), 0);
    assert.is(written, result.bytes.length, 'the write hook counts every byte sent');
    const finishes = seen.finish ?? [];
    assert.equal(finishes.map((e) => [e.status, e.keepAlive]), [[200, true], [500, false]]);
    const timings = finishes[0]?.timings as Record<string, number>;
    for (const stage of ['parse', 'handle', 'serialize', 'frame', 'write']) assert.ok(timings[stage] >= 0, stage);
    assert.ok(timings.handle >= 25);
    assert.is(seen.close?.[0]?.reason, 'client-asked'); // the request said Connection: close
    assert.is((seen.error?.[0]?.error as Error).message, 'on purpose');
  } finally {
    await server.close();
  }
});

test('diagnostics_channel: one channel per stage, published only to subscribers', async () => {
  const server = await start(handler);
  const got = new Map<StageName, number>();
  const listeners = new Map<StageName, (message: unknown) => void>();
  try {
    for (const name of Object.keys(CHANNELS) as StageName[]) assert.not.ok(CHANNELS[name].hasSubscribers, name);
    await talk(server.port, 'GET / HTTP/1.1\r\nHost: h\r\n\r\n'); // nothing subscribed: nothing to see
    for (const name of Object.keys(CHANNELS) as StageName[]) {
      const listener = (): void => {
        got.set(name, (got.get(name) ?? 0) + 1);
      };
      listeners.set(name, listener);
      diagnostics.subscribe(`h1wire:${name}`, listener);
    }
    await talk(server.port, 'GET / HTTP/1.1\r\nHost: h\r\n\r\nGET /fail HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n', { responses: 2, untilClose: true });
    assert.ok(await waitFor(() => got.has('close'), 2000));
    for (const name of ['accept', 'parse', 'handle', 'serialize', 'frame', 'write', 'finish', 'close', 'error'] as StageName[]) {
      assert.ok((got.get(name) ?? 0) >= 1, `h1wire:${name}`);
    }
  } finally {
    for (const [name, listener] of listeners) diagnostics.unsubscribe(`h1wire:${name}`, listener);
    await server.close();
  }
});

test('timings only when asked for; Server-Timing carries plausible handle and serialize durations', async () => {
  let plain: unknown = 'unset';
  const quiet = await start((req) => {
    plain = req.timings;
    return 'x';
  });
  const timed = await start(handler, { serverTiming: true });
  try {
    await talk(quiet.port, 'GET / HTTP/1.1\r\nHost: h\r\n\r\n');
    assert.is(plain, null, 'no timings when nothing asks for them');
    const result = await talk(timed.port, 'GET /slow HTTP/1.1\r\nHost: h\r\n\r\n');
    const match = /\r\nServer-Timing: handle;dur=([0-9.]+), serialize;dur=([0-9.]+)\r\n/.exec(result.text);
    assert.ok(match !== null, result.text);
    const handle = Number(match?.[1]);
    const serialize = Number(match?.[2]);
    assert.ok(handle >= 25 && handle < 5000, `handle ${handle}`);
    assert.ok(serialize >= 0 && serialize < 1000, `serialize ${serialize}`);
  } finally {
    await quiet.close();
    await timed.close();
  }
});

test('trace: one line per stage, each starting with the id and the stage, into the stream given', async () => {
  let log = '';
  const sink = new Writable({
    write(chunk, _encoding, done) {
      log += String(chunk);
      done();
    },
  });
  const server = await start(handler, { trace: sink, keepAliveTimeout: 1000 });
  try {
    // A big answer to a client that does not read at first: the write blocks, then drains.
    await new Promise<void>((resolve) => {
      const socket = net.connect(server.port, '127.0.0.1');
      socket.pause();
      socket.write('GET /big HTTP/1.1\r\nHost: h\r\n\r\n');
      let got = 0;
      setTimeout(() => {
        socket.on('data', (chunk) => {
          got += chunk.length;
          if (got >= 4 * 1024 * 1024 && !socket.writableEnded) socket.end('GET /fail HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n');
        });
        socket.resume();
      }, 200);
      socket.on('error', () => {});
      socket.on('close', () => resolve());
    });
    assert.ok(await waitFor(() => /close /.test(log), 3000));
    const lines = log.trim().split('\n');
    const stages = new Set(lines.map((line) => line.split(/\s+/)[1]));
    for (const stage of ['accept', 'parse', 'handle', 'serialize', 'frame', 'write', 'drain', 'finish', 'idle', 'close']) {
      assert.ok(stages.has(stage), `no ${stage} line in:\n${log}`);
    }
    for (const line of lines) assert.match(line, /^\d+(\.\d+)? +\w+/);
    assert.match(log, /\n1\.1 parse +GET \/big HTTP\/1\.1␍␊ Host: h␍␊/);
    assert.match(log, /\n1\.1 frame +length HTTP\/1\.1 200 OK␍␊/);
  } finally {
    await server.close();
  }
});

test('trace: Authorization, Cookie and Set-Cookie values never reach the log unless showCredentials is set', async () => {
  const logs = ['', ''];
  const sinks = logs.map(
    (_, i) =>
      new Writable({
        write(chunk, _encoding, done) {
          logs[i] += String(chunk);
          done();
        },
      }),
  );
  const answer = (): unknown => ({ status: 200, headers: { 'Set-Cookie': 'sid=server-secret; HttpOnly' }, body: 'ok' });
  const redacted = await start(answer, { trace: sinks[0] });
  const shown = await start(answer, { trace: { stream: sinks[1], showCredentials: true } });
  try {
    const request = 'GET / HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer client-secret\r\nCookie: sid=cookie-secret\r\n\r\n';
    await talk(redacted.port, request, { split: 'random', seed: 3 });
    await talk(shown.port, request, { split: 'random', seed: 3 });
    assert.ok(await waitFor(() => logs.every((log) => log.includes(' frame ')), 3000));
    const [hidden, full] = logs as [string, string];
    for (const secret of ['client-secret', 'cookie-secret', 'server-secret']) {
      assert.not.ok(hidden.includes(secret), `${secret} in:\n${hidden}`);
      assert.ok(full.includes(secret), `${secret} missing from:\n${full}`);
    }
    assert.match(hidden, /Authorization: Bearer \[redacted 13 bytes\]␍␊ Cookie: \[redacted 17 bytes\]/);
    assert.match(hidden, /Set-Cookie: \[redacted 27 bytes\]/);
  } finally {
    await redacted.close();
    await shown.close();
  }
});

test('a hook that throws is reported on the error stage; the request is answered as usual', async () => {
  const errors: unknown[] = [];
  const server = await start(() => 'fine', {
    hooks: {
      onFinish: () => {
        throw new Error('hook bug');
      },
      onError: (event) => errors.push(event.error),
    },
  });
  try {
    const result = await talk(server.port, 'GET / HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n', { responses: 2 });
    assert.equal(result.responses.map((r) => r.status), [200, 200]);
    assert.ok(errors.some((e) => (e as Error).message === 'hook bug'));
  } finally {
    await server.close();
  }
});

test.run();
