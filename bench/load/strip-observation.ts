// Makes, at bench time, two copies of the compiled library side by side in a temporary directory:
//   as-built/  dist/lib and dist/native-free exactly as compiled;
//   stripped/  the same files, with the observation code taken out of dist/lib/connection.js,
//              dist/lib/exchange.js and dist/lib/request.js: every `if (obs.<stage>.on) obs.emit(…)`
//              statement, every timing branch (`if (obs.timings())`, `if (ex.tStart !== 0)`, the
//              Server-Timing line, the per-request timings), the timestamp fields and the `obs` locals.
// Each copy gets a package.json ({"type":"module"}) and a node_modules symlink to the repository's, so that
// it resolves its dependencies exactly as dist/ does. Nothing else differs.
//
// Every removal is an exact, counted match: if lib/ changes so that a pattern no longer matches (or matches
// more often than expected), this throws rather than quietly compare two identical builds. Afterwards no
// reference to the observer or the timestamps may remain in the stripped files.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerTempDir } from '../lib/procs.js';

export interface StrippedBuilds {
  /** The unchanged copy. */
  asBuilt: string;
  /** The copy without observation code. */
  stripped: string;
  /** Statements and declarations removed, per file. */
  removed: Record<string, number>;
  /** What was removed, one line each (for the report and latest.json). */
  removedText: string[];
}

/** Index just past a quoted string or template literal starting at `i` (the opening quote). */
function skipString(src: string, i: number): number {
  const quote = src[i];
  let j = i + 1;
  while (j < src.length) {
    const c = src[j];
    if (c === '\\') {
      j += 2;
      continue;
    }
    if (quote === '`' && c === '$' && src[j + 1] === '{') {
      j = skipBalanced(src, j + 1);
      continue;
    }
    if (c === quote) return j + 1;
    j++;
  }
  throw new Error('unterminated string while stripping');
}

/** Index just past the bracket matching the one at `i` ( `(`, `{` or `[` ), skipping strings and comments. */
function skipBalanced(src: string, i: number): number {
  const open = src[i] as string;
  const close = ({ '(': ')', '{': '}', '[': ']' } as Record<string, string>)[open];
  if (close === undefined) throw new Error(`no bracket at ${i}`);
  let depth = 0;
  let j = i;
  while (j < src.length) {
    const c = src[j] as string;
    if (c === '"' || c === "'" || c === '`') {
      j = skipString(src, j);
      continue;
    }
    if (c === '/' && src[j + 1] === '/') {
      j = src.indexOf('\n', j);
      if (j < 0) throw new Error('comment at end of file');
      continue;
    }
    if (c === '/' && src[j + 1] === '*') {
      j = src.indexOf('*/', j) + 2;
      continue;
    }
    if (c === '(' || c === '{' || c === '[') depth++;
    else if (c === ')' || c === '}' || c === ']') {
      depth--;
      if (depth === 0) {
        if (c !== close) throw new Error(`mismatched bracket at ${j}`);
        return j + 1;
      }
    }
    j++;
  }
  throw new Error('unbalanced brackets while stripping');
}

/** Index just past the statement that starts at `i`: a block, or up to its `;` at depth 0. */
function statementEnd(src: string, i: number): number {
  let j = i;
  while (/\s/.test(src[j] as string)) j++;
  if (src[j] === '{') return skipBalanced(src, j);
  while (j < src.length) {
    const c = src[j] as string;
    if (c === '"' || c === "'" || c === '`') j = skipString(src, j);
    else if (c === '(' || c === '{' || c === '[') j = skipBalanced(src, j);
    else if (c === ';') return j + 1;
    else if (c === '\n' && /^\s*\}/.test(src.slice(j, j + 200))) throw new Error('statement without a semicolon');
    else j++;
  }
  throw new Error('statement runs to the end of the file');
}

/** Removes whole lines [start of the line holding `from`, end of the line holding `to - 1`]. */
function cutLines(src: string, from: number, to: number): { src: string; text: string } {
  const lineStart = src.lastIndexOf('\n', from - 1) + 1;
  if (src.slice(lineStart, from).trim() !== '') throw new Error(`statement does not start its line: ${src.slice(lineStart, from + 40)}`);
  let lineEnd = src.indexOf('\n', to);
  if (lineEnd < 0) lineEnd = src.length;
  if (src.slice(to, lineEnd).trim() !== '' && !src.slice(to, lineEnd).trim().startsWith('//')) {
    throw new Error(`something follows the statement on its line: ${src.slice(to, lineEnd)}`);
  }
  return { src: src.slice(0, lineStart) + src.slice(lineEnd + 1), text: src.slice(from, to) };
}

interface Removal {
  /** Text that starts the statement (an `if (` … or a whole declaration). */
  start: string;
  /** How many times it must occur. */
  count: number;
  /** The whole if-statement (condition + its statement or block); else the line up to its `;`. */
  ifStatement: boolean;
}

function strip(src: string, removals: readonly Removal[], file: string, log: string[]): { src: string; removed: number } {
  let out = src;
  let removed = 0;
  for (const r of removals) {
    let n = 0;
    for (;;) {
      const at = out.indexOf(r.start);
      if (at < 0) break;
      let end: number;
      if (r.ifStatement) {
        const paren = at + r.start.indexOf('(');
        const afterCondition = skipBalanced(out, paren);
        end = statementEnd(out, afterCondition);
        const next = out.slice(end, end + 40).trimStart();
        if (next.startsWith('else')) throw new Error(`${file}: "${r.start}" has an else branch; not stripped`);
      } else {
        end = statementEnd(out, at);
      }
      const cut = cutLines(out, at, end);
      out = cut.src;
      log.push(`${file}: ${cut.text.replace(/\s+/g, ' ').slice(0, 140)}`);
      n++;
      removed++;
      if (n > r.count) break;
    }
    if (n !== r.count) throw new Error(`${file}: expected ${r.count} × "${r.start}", found ${n}: lib/ changed; update bench/load/strip-observation.ts`);
  }
  return { src: out, removed };
}

// What goes, file by file (as tsc emits it: es2022, `if (cond)\n stmt;` or `if (cond) { … }`).
const CONNECTION: Removal[] = [
  ...(
    [
      ['accept', 1],
      ['parse', 1],
      ['handle', 2],
      ['serialize', 1],
      ['frame', 1],
      ['write', 1],
      ['drain', 1],
      ['finish', 1],
      ['idle', 1],
      ['close', 1],
      ['error', 1],
    ] as const
  ).map(([stage, count]) => ({ start: `if (obs.${stage}.on)`, count, ifStatement: true })),
  { start: 'if (obs.timings())', count: 1, ifStatement: true },
  { start: 'if (config.serverTiming && ex.tStart !== 0)', count: 1, ifStatement: true },
  { start: 'if (ex.tStart !== 0)', count: 4, ifStatement: true },
  { start: 'if (t !== 0)', count: 1, ifStatement: true },
  { start: 'if (req !== null && req.timings !== null)', count: 1, ifStatement: true },
  { start: 'ex.tDispatch = ex.tStart === 0 ? 0 : now();', count: 1, ifStatement: false },
  { start: 'let t = 0;', count: 1, ifStatement: false },
  { start: 'const obs = this.host.observer;', count: 7, ifStatement: false },
  { start: 'const obs = host.observer;', count: 4, ifStatement: false },
];
const EXCHANGE: Removal[] = [
  { start: 'tStart = 0;', count: 1, ifStatement: false },
  { start: 'tDispatch = 0;', count: 1, ifStatement: false },
  { start: 'tSettled = 0;', count: 1, ifStatement: false },
  { start: 'tSerialized = 0;', count: 1, ifStatement: false },
  { start: 'tFramed = 0;', count: 1, ifStatement: false },
];
const REQUEST: Removal[] = [{ start: 'timings = null;', count: 1, ifStatement: false }];

/** After stripping, none of these may be left in the stripped files. */
const LEFTOVERS = [/\bobs\b/, /\bt(Start|Dispatch|Settled|Serialized|Framed)\b/, /\.timings\b/, /\bCHANNELS\.[a-z]/, /serverTiming/];

function copyBuild(root: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const dir of ['lib', 'native-free']) {
    cpSync(join(root, 'dist', dir), join(to, dir), { recursive: true, filter: (src) => !src.endsWith('.map') && !src.endsWith('.d.ts') });
  }
  writeFileSync(join(to, 'package.json'), '{ "type": "module", "private": true }\n');
  symlinkSync(join(root, 'node_modules'), join(to, 'node_modules'), 'dir');
}

export function makeBuilds(root: string): StrippedBuilds {
  const base = mkdtempSync(join(tmpdir(), 'h1wire-bench-obs-'));
  registerTempDir(base);
  const asBuilt = join(base, 'as-built');
  const stripped = join(base, 'stripped');
  copyBuild(root, asBuilt);
  copyBuild(root, stripped);
  const removed: Record<string, number> = {};
  const removedText: string[] = [];
  const files: [string, Removal[]][] = [
    ['lib/connection.js', CONNECTION],
    ['lib/exchange.js', EXCHANGE],
    ['lib/request.js', REQUEST],
  ];
  for (const [file, removals] of files) {
    const path = join(stripped, file);
    const result = strip(readFileSync(path, 'utf8'), removals, file, removedText);
    writeFileSync(path, result.src);
    removed[file] = result.removed;
    for (const pattern of LEFTOVERS) {
      const match = pattern.exec(result.src.replace(/\/\/[^\n]*|\/\*[\s\S]*?\*\//g, ''));
      if (match !== null) throw new Error(`${file}: observation code left after stripping ("${match[0]}")`);
    }
  }
  // The other files must be byte-identical in both copies (and to dist/).
  for (const dir of ['lib', 'native-free']) {
    for (const entry of readdirSync(join(asBuilt, dir), { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const name = join(entry.parentPath ?? entry.path, entry.name).slice(join(asBuilt, dir).length + 1);
      if (files.some(([f]) => f === `${dir}/${name}`)) continue;
      const a = readFileSync(join(asBuilt, dir, name));
      if (!a.equals(readFileSync(join(stripped, dir, name))) || !a.equals(readFileSync(join(root, 'dist', dir, name)))) {
        throw new Error(`${dir}/${name} differs between the copies`);
      }
    }
  }
  return { asBuilt, stripped, removed, removedText };
}
