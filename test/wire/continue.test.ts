// Expect: 100-continue on the wire: the interim 100 comes only once the handler reads the body, and before
// the final response; a handler that answers without reading gets no 100; HTTP/1.0 expectations are
// ignored.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Request } from '../../lib/request.js';
import { Conversation, DATE, everyVariant, KEEP, normalize, talk } from '../helpers/exact.js';
import { start, type Running } from '../helpers/server.js';

let app: Running;
interface Gate {
  /** Lets the handler go on (it then reads the body). */
  open(): void;
  /** Resolves when the handler has been called and is waiting at the gate. */
  reached: Promise<void>;
}
const gates = new Map<string, { opened: Promise<void>; arrive(): void }>();

function gate(id: string): Gate {
  let open!: () => void;
  let arrive!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  const reached = new Promise<void>((r) => (arrive = r));
  gates.set(id, { opened, arrive });
  return { open, reached };
}

async function handler(req: Request): Promise<unknown> {
  const id = req.query.get('id') ?? '';
  const g = gates.get(id);
  if (req.path === '/gated' && g !== undefined) {
    g.arrive();
    await g.opened;
    const body = await req.body.text();
    return `got ${body}`;
  }
  if (req.path === '/no-read') return 'answered without reading';
  return `got ${await req.body.text()}`;
}

test.before(async () => {
  app = await start(handler);
});

test.after(async () => {
  await app.close();
});

const got = (body: string): string =>
  `HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${4 + body.length}\r\nDate: ${DATE}\r\n${KEEP}\r\ngot ${body}`;
const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';

test('100 Continue is sent only after the handler starts reading, and before the final response', async () => {
  const g = gate('a');
  const conv = await Conversation.open(app.port);
  try {
    await conv.write('POST /gated?id=a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n');
    await g.reached;
    assert.is(await conv.quiet(250), '', 'nothing while the handler has not asked for the body');
    g.open();
    await conv.until((t) => t === CONTINUE, 2000, '100 Continue');
    assert.is(await conv.quiet(100), '', 'no final response before the body');
    await conv.write('hello');
    const all = await conv.until((t) => t.endsWith('got hello'), 2000, 'the final response');
    assert.is(normalize(all), CONTINUE + got('hello'));
    // The connection is kept: a second 100-continue exchange on it.
    const g2 = gate('b');
    await conv.write('POST /gated?id=b HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n');
    await g2.reached;
    g2.open();
    await conv.until((t) => t.endsWith(CONTINUE), 2000, 'the second 100 Continue');
    await conv.write('abc');
    const both = await conv.until((t) => t.endsWith('got abc'), 2000);
    assert.is(normalize(both), CONTINUE + got('hello') + CONTINUE + got('abc'));
  } finally {
    conv.destroy();
  }
});

test('a chunked body with Expect: 100-continue', async () => {
  const g = gate('c');
  const conv = await Conversation.open(app.port);
  try {
    await conv.write('PUT /gated?id=c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nExpect: 100-Continue\r\n\r\n');
    await g.reached;
    assert.is(await conv.quiet(150), '');
    g.open();
    await conv.until((t) => t === CONTINUE, 2000, '100 Continue');
    await conv.write('3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n');
    assert.is(normalize(await conv.until((t) => t.endsWith('got abcde'), 2000)), CONTINUE + got('abcde'));
  } finally {
    conv.destroy();
  }
});

test('a handler that answers without reading the body: the final response, and no 100 Continue', async () => {
  const conv = await Conversation.open(app.port);
  try {
    await conv.write('POST /no-read HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n');
    const text = await conv.until((t) => t.endsWith('answered without reading'), 2000);
    assert.not.ok(text.includes('100 Continue'), text);
    assert.ok(text.startsWith('HTTP/1.1 200 OK\r\n'), text);
  } finally {
    conv.destroy();
  }
});

test('a client that sends the body without waiting: one final response (a 100 before it is allowed)', async () => {
  const request = 'POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\nbody';
  await everyVariant(async (v) => {
    const r = await talk(app.port, request, { split: v.split, seed: v.seed, graceMs: 150 });
    assert.ok(r.normalized === got('body') || r.normalized === CONTINUE + got('body'), r.normalized);
    assert.not.ok(r.closed);
  });
});

test('HTTP/1.0 ignores the expectation: no 100 Continue', async () => {
  await everyVariant(async (v) => {
    const r = await talk(app.port, 'POST /echo HTTP/1.0\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\nbody', {
      split: v.split,
      seed: v.seed,
      untilClose: true,
    });
    assert.is(r.normalized, `HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 8\r\nDate: ${DATE}\r\nConnection: close\r\n\r\ngot body`);
  });
});

test.run();
