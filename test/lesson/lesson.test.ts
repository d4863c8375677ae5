// Every command block of LESSON.md, run against the demo (started with the block's flags on a free port, put in
// place of 127.0.0.1:3000): it must exit 0 and print what its expectations say, and so must the output the
// lesson shows. So the lesson cannot drift from the code without this test failing.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { waitFor } from '../helpers/process.js';
import { lessonBlocks } from './lesson-blocks.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const CLI = fileURLToPath(new URL('../../lib/cli.js', import.meta.url));
const blocks = lessonBlocks(readFileSync(`${ROOT}/LESSON.md`, 'utf8'));

interface Demo {
  child: ChildProcess;
  port: number;
  log: string;
}
const demos = new Map<string, Promise<Demo>>();

function demo(flags: string[]): Promise<Demo> {
  const key = flags.join(' ');
  let started = demos.get(key);
  if (started === undefined) {
    started = new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, 'demo', '--port', '0', ...flags], { stdio: ['ignore', 'pipe', 'pipe'] });
      const running: Demo = { child, port: 0, log: '' };
      child.stderr.on('data', (d: Buffer) => (running.log += d.toString()));
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const match = /listening on http:\/\/127\.0\.0\.1:(\d+)\n/.exec(out);
        if (match !== null && running.port === 0) resolve(Object.assign(running, { port: Number(match[1]) }));
      });
      child.once('exit', (code) => reject(new Error(`the demo (${key}) exited with ${code}: ${running.log}`)));
    });
    demos.set(key, started);
  }
  return started;
}

test.after(async () => {
  for (const started of demos.values()) (await started).child.kill('SIGKILL');
});

test('LESSON.md has command blocks in each of its four chapters, each with expectations', () => {
  assert.ok(blocks.length >= 8, `${blocks.length} blocks`);
  for (const block of blocks) assert.ok(block.expect.length + block.expectServer.length > 0, `LESSON.md:${block.line} has no expectation`);
  const chapters = readFileSync(`${ROOT}/LESSON.md`, 'utf8').match(/^## \d\. /gm) ?? [];
  assert.is(chapters.length, 4);
});

for (const block of blocks) {
  test(`LESSON.md:${block.line} (${block.serverFlags.join(' ') || 'no flags'})`, async () => {
    const running = await demo(block.serverFlags);
    const logFrom = running.log.length;
    const script = block.script.replaceAll('127.0.0.1:3000', `127.0.0.1:${running.port}`);
    const result = spawnSync('bash', ['-e', '-o', 'pipefail', '-c', script], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    const stdout = result.stdout;
    if (process.env.H1W_LESSON_PRINT === '1') process.stderr.write(`\n--- LESSON.md:${block.line}\n${stdout}`);
    assert.is(result.status, 0, `exit ${result.status}; stderr: ${result.stderr}`);
    for (const re of block.expect) {
      assert.match(stdout, re, `stdout does not match ${re}:\n${stdout}`);
      if (block.shown !== null) assert.match(block.shown, re, `the output shown in LESSON.md does not match ${re}`);
    }
    // The demo's stderr may come a little after the block's last byte.
    const logged = (): boolean => block.expectServer.every((re) => re.test(running.log.slice(logFrom)));
    await waitFor(logged, 2000);
    for (const re of block.expectServer) assert.match(running.log.slice(logFrom), re, `the demo's log does not match ${re}`);
  });
}

test.run();
