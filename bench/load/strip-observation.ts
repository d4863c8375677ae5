// Makes, at bench time, two copies of the compiled library side by side in a temporary directory:
//   as-built/  dist/lib and dist/native-free exactly as compiled;
//   stripped/  the same, except the files whose observation code compiled out: the TypeScript sources of lib/
//              and native-free/ are copied, stripped by strip-transform.ts (by syntax tree and symbol: every
//              observation check, the timing state only it kept, the locals only it read), compiled by the
//              repository's tsc with the repository's options, and the changed files' output replaces theirs.
// Each copy gets a package.json ({"type":"module"}) and a node_modules symlink to the repository's, so that it
// resolves its dependencies exactly as dist/ does.
//
// It throws rather than compare two identical builds: when the sources hold no observation check, when
// observation code is left, when the stripped sources do not compile, and when a file the transform did not
// touch compiles to anything but dist/'s bytes (dist/ stale, or a different compiler).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerTempDir } from '../lib/procs.js';
import { stripObservation } from './strip-transform.js';

const DIRS = ['lib', 'native-free'];
const PACKAGE_JSON = '{ "type": "module", "private": true }\n';

export interface StrippedBuilds {
  /** The unchanged copy. */
  asBuilt: string;
  /** The copy without observation code. */
  stripped: string;
  /** Observation checks found in the sources. */
  checks: number;
  /** Edits per source file. */
  removed: Record<string, number>;
  /** What each edit did, one line each (for the report and latest.json). */
  removedText: string[];
}

function copyBuild(root: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const dir of DIRS) {
    const filter = (src: string): boolean => !src.endsWith('.map') && !src.endsWith('.d.ts');
    cpSync(join(root, 'dist', dir), join(to, dir), { recursive: true, filter });
  }
  writeFileSync(join(to, 'package.json'), PACKAGE_JSON);
  symlinkSync(join(root, 'node_modules'), join(to, 'node_modules'), 'dir');
}

/** The .js files under `dir`, relative to it. */
function jsFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js'));
}

export function makeBuilds(root: string): StrippedBuilds {
  const base = mkdtempSync(join(tmpdir(), 'h1wire-bench-obs-'));
  registerTempDir(base);
  // The sources, stripped and compiled as `npm run build` compiles them (unused locals may stay: noUnusedLocals off).
  const src = join(base, 'src');
  for (const dir of DIRS) cpSync(join(root, dir), join(src, dir), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(src, 'node_modules'), 'dir');
  writeFileSync(join(src, 'package.json'), PACKAGE_JSON);
  const tsconfig = {
    extends: join(root, 'tsconfig.json'),
    compilerOptions: { rootDir: '.', outDir: 'dist', noUnusedLocals: false },
    include: DIRS,
  };
  writeFileSync(join(src, 'tsconfig.json'), `${JSON.stringify(tsconfig, null, 1)}\n`);
  const outcome = stripObservation(src);
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', src], {
    encoding: 'utf8',
  });
  if (tsc.status !== 0) throw new Error(`the stripped sources do not compile:\n${tsc.stdout}${tsc.stderr}`);

  const asBuilt = join(base, 'as-built');
  const stripped = join(base, 'stripped');
  copyBuild(root, asBuilt);
  copyBuild(root, stripped);
  const edited = new Set(Object.keys(outcome.edits).map((f) => f.replace(/\.ts$/, '.js')));
  for (const dir of DIRS) {
    for (const name of jsFiles(join(src, 'dist', dir))) {
      const file = join(dir, name);
      const mine = readFileSync(join(src, 'dist', file));
      if (edited.has(file)) {
        writeFileSync(join(stripped, file), mine);
      } else if (!existsSync(join(root, 'dist', file)) || !mine.equals(readFileSync(join(root, 'dist', file)))) {
        throw new Error(`${file}: not edited, yet compiled differently from dist/${file} (run npm run build first)`);
      }
    }
  }
  for (const file of edited) {
    if (readFileSync(join(stripped, file)).equals(readFileSync(join(asBuilt, file)))) {
      throw new Error(`${file}: edited, yet compiled to the same bytes as dist/${file}`);
    }
  }
  return { asBuilt, stripped, checks: outcome.checks, removed: outcome.edits, removedText: outcome.log };
}
