// The benchmark's own logic, on small hand-made inputs: the transform that compiles observation out for the
// observation benchmark (bench/load/strip-transform.ts).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { stripObservation } from '../../bench/load/strip-transform.js';

const strip = suite('bench: observation compiled out (strip-transform)');

const STAGES = `export class StageSwitch {
  constructor(private readonly hooked: boolean) {}
  get on(): boolean {
    return this.hooked;
  }
}
export class Observer {
  readonly accept = new StageSwitch(false);
  readonly finish = new StageSwitch(false);
  timings(): boolean {
    return this.finish.on;
  }
  emit(stage: string, data: object): void {
    if (this.accept.on) void [stage, data];
  }
}
`;

/** A tiny project (tsconfig, lib/stages.ts and `files`) in a temporary directory; stripped, then read back. */
function stripped(files: Record<string, string>): { out: Record<string, string>; log: string[]; checks: number } {
  const dir = mkdtempSync(join(tmpdir(), 'h1wire-strip-test-'));
  try {
    const tsconfig = { compilerOptions: { target: 'es2022', module: 'es2022', moduleResolution: 'bundler', strict: true,
      types: [], noEmit: true }, include: ['lib'] };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
    mkdirSync(join(dir, 'lib'));
    for (const [name, text] of Object.entries({ 'stages.ts': STAGES, ...files })) {
      writeFileSync(join(dir, 'lib', name), text);
    }
    const outcome = stripObservation(dir, ['lib']);
    const read = (name: string): string => readFileSync(join(dir, 'lib', name), 'utf8');
    const out = Object.fromEntries(Object.keys(files).map((name) => [name, read(name)]));
    assert.is(read('stages.ts'), STAGES, "the observer's own file is left alone");
    return { out, log: outcome.log, checks: outcome.checks };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const EXCHANGE = 'export class Exchange {\n  status = 200;\n  tStart = 0;\n  tEnd = 0;\n}\n';

strip('checks, the timing state only they kept, and what only they read go; nothing else', () => {
  const use = `import type { Exchange } from './exchange.js';
import type { Observer } from './stages.js';

export function handle(o: Observer, ex: Exchange, hooked: boolean): string {
  const watch = o;
  let t = 0;
  if (watch.timings()) {
    ex.tStart = Date.now();
    t = 1;
  }
  if (watch.accept.on) watch.emit('accept', { status: ex.status, end: ex.tEnd });
  if (ex.tStart !== 0) ex.tEnd = Date.now();
  if (t !== 0) ex.status = 201;
  const label = o.finish.on ? 'watched' : 'quiet';
  if (hooked && o.finish.on) o.emit('finish', {});
  else ex.status += 1;
  return label;
}
`;
  const { out, checks, log } = stripped({ 'exchange.ts': EXCHANGE, 'use.ts': use });
  assert.is(checks, 4);
  assert.is(out['exchange.ts'], 'export class Exchange {\n  status = 200;\n}\n');
  assert.is(out['use.ts'], `import type { Exchange } from './exchange.js';
import type { Observer } from './stages.js';

export function handle(o: Observer, ex: Exchange, hooked: boolean): string {
  const label = ('quiet');
  ex.status += 1;
  return label;
}
`);
  assert.ok(log.includes('lib/use.ts: removed if (ex.tStart !== 0) ex.tEnd = Date.now();'), log.join('\n'));
});

strip('fails loudly: nothing to strip, a check used as a value, an unguarded emit', () => {
  const plain = 'export const two = (): number => 2;\n';
  assert.throws(() => stripped({ 'plain.ts': plain }), /nothing to strip/);
  const value = "import type { Observer } from './stages.js';\n" +
    'export const watched = (o: Observer): boolean => o.accept.on;\n';
  assert.throws(() => stripped({ 'value.ts': value }), /not a condition/);
  const emit = `import type { Observer } from './stages.js';
export function f(o: Observer): void {
  if (o.accept.on) o.emit('accept', {});
  o.emit('finish', {});
}
`;
  assert.throws(() => stripped({ 'emit.ts': emit }), /observation code left after stripping: lib\/emit.ts:3 `o.emit`/);
});

strip.run();
