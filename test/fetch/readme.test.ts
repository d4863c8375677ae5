// README's "Running a Hono app" block, run as written: extracted from README.md, its `from 'h1wire'` pointed at
// the build, started in its own process on a free port, and asked over real sockets.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = fileURLToPath(new URL('../../..', import.meta.url));

function readmeBlock(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Running a Hono app'));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  if (match === null) throw new Error('no ts block under "Running a Hono app"');
  return match[1] as string;
}

test('README: the Hono example runs as written and answers', async () => {
  const source = readmeBlock();
  assert.match(source, /from 'h1wire'/);
  // Inside dist/, so that 'hono' resolves from the project's node_modules.
  const dir = mkdtempSync(join(root, 'dist', 'readme-'));
  const file = join(dir, 'hono-example.mjs');
  writeFileSync(file, source.replace("from 'h1wire'", `from '${pathToFileURL(join(root, 'dist/lib/index.js')).href}'`));
  const child = spawn(process.execPath, [file], { env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const base = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const found = /listening on (http:\/\/\S+)/.exec(out);
        if (found !== null) resolve(found[1] as string);
      });
      child.once('exit', (code) => reject(new Error(`example exited (${code}): ${out}`)));
    });
    const hello = await fetch(`${base}/`);
    assert.is(await hello.text(), 'Hello Hono!');
    const user = await fetch(`${base}/users/42`);
    assert.equal(await user.json(), { id: '42', ip: '127.0.0.1' });
    const echo = await fetch(`${base}/echo`, { method: 'POST', body: '{"a":[1]}', headers: { 'content-type': 'application/json' } });
    assert.equal(await echo.json(), { a: [1] });
    const ticks = await fetch(`${base}/ticks`);
    assert.is(ticks.headers.get('content-type'), 'text/event-stream');
    assert.is(await ticks.text(), 'data: tick 0\n\ndata: tick 1\n\ndata: tick 2\n\n');
    const big = await fetch(`${base}/echo`, { method: 'POST', body: 'x'.repeat(70_000) });
    assert.is(big.status, 413);
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
