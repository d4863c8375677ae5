// inject() promises "the exact response bytes a client would have read". The public RFC 9112 corpus is a set of
// raw requests a grader outside the project also sends through inject: every case goes to the demo server over
// a real socket and through inject, and the two must give the same bytes (Date aside) and the same fate of the
// connection, and inject's answer must pass the case's own grading.
//
// A request left unfinished is where the two differ by design: a socket client that stops sending leaves the
// connection open until a deadline answers (408), while inject gives up as a client would, its FIN right
// after the last byte. Cases answered with a 408 are left out; where the socket stayed open and inject's
// connection closed, inject is compared with a socket client that half-closes after its last byte.
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createDemoServer } from '../../lib/demo.js';
import { inject, InjectError } from '../../lib/inject.js';
import type { Server } from '../../lib/server.js';
import { normalize } from '../helpers/exact.js';
import { pieces, prng, send, type WireResult } from '../helpers/wire.js';
import { grade, type Case } from './grade.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const shared = fileURLToPath(new URL('../../../../shared/conformance/cases.json', import.meta.url));
const local = `${here}/../../../test/conformance/cases.json`;
const cases = (JSON.parse(readFileSync(existsSync(shared) ? shared : local, 'utf8')) as Case[]).filter((c) => c.request !== undefined);

let server: Server;
let port = 0;

test.before(async () => {
  server = createDemoServer({ headersTimeout: 1000 });
  ({ port } = await server.listen(0, '127.0.0.1'));
});

test.after(async () => {
  await server.close({ timeout: 200 });
});

/** inject's answer as the grader reads a socket's: the bytes, and whether the server ended the connection. */
async function injected(request: string | Buffer[]): Promise<WireResult> {
  try {
    const res = await inject(server, request, { timeout: 5000 });
    return { bytes: res.wire, closed: res.closed, reset: res.reset };
  } catch (error) {
    // No response at all: the server closed (or the request never completed) without a word.
    if (error instanceof InjectError && error.code === 'H1W_INJECT_NO_RESPONSE') return { bytes: Buffer.alloc(0), closed: true, reset: false };
    throw error;
  }
}

/** A client that sends `request`, half-closes at once, and reads until the server closes. */
function sendThenFin(request: string): Promise<WireResult> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (d: Buffer) => received.push(d));
    socket.on('error', reject);
    socket.on('close', () => resolve({ bytes: Buffer.concat(received), closed: true, reset: false }));
    socket.end(Buffer.from(request, 'latin1'));
    socket.setTimeout(5000, () => socket.destroy(new Error('no close within 5 s')));
  });
}

test(`inject gives every corpus case the socket's bytes and passes its grading (${cases.length} cases)`, async () => {
  const failures: string[] = [];
  let compared = 0;
  for (const c of cases) {
    const request = c.request as string;
    let real = await send(port, request, { split: 'whole', quietMs: 400, timeoutMs: 20_000 });
    if (/^HTTP\/1\.1 408 /m.test(real.bytes.toString('latin1'))) continue;
    compared++;
    const viaInject = await injected(request);
    if (!real.closed && viaInject.closed) real = await sendThenFin(request);
    const a = normalize(real.bytes.toString('latin1'));
    const b = normalize(viaInject.bytes.toString('latin1'));
    if (a !== b) failures.push(`${c.id}: bytes differ\n    socket: ${JSON.stringify(a.slice(0, 240))}\n    inject: ${JSON.stringify(b.slice(0, 240))}`);
    else if (real.closed !== viaInject.closed) failures.push(`${c.id}: socket ${real.closed ? 'closed' : 'kept'}, inject ${viaInject.closed ? 'closed' : 'kept'}`);
    const problems = grade(c, viaInject);
    if (problems.length > 0) failures.push(`${c.id} through inject: ${problems.join('; ')}`);
    // The same bytes written as separate reads, cut at random: the same answer.
    const cut = await injected(pieces(Buffer.from(request, 'latin1'), 'random', prng(compared)));
    if (normalize(cut.bytes.toString('latin1')) !== b || cut.closed !== viaInject.closed) failures.push(`${c.id}: inject cut at random (seed ${compared}) differs from inject whole`);
  }
  assert.ok(compared >= cases.length - 10, `only ${compared} of ${cases.length} cases compared`);
  assert.equal(failures, []);
});

test.run();
