// Observation compiled out: a transform of the library's TypeScript sources, by syntax tree and symbol, never
// by text (TypeScript's own parser and checker through typescript/unstable/sync; syntax rules in
// strip-syntax.ts), for the observation benchmark's "stripped" build.
//
// When nobody observes, every StageSwitch's `on` is false and Observer.timings() returns false. The
// transform puts those two facts in and folds what follows, round after round until nothing changes:
//   1. Observation checks: any `x.<stage>.on` whose `on` is StageSwitch's and any call of Observer's `timings`
//      (found by the checker's symbol: whatever the local is called, in whichever file) is false. An `if` keeps
//      its else branch or goes, `?:` keeps its false arm, `!`, `&&` and `||` fold.
//   2. State only observation assigned: a class field or a local with a literal initializer whose other
//      assignments have all gone (they were in removed code) keeps that value, so comparisons of it with a
//      literal fold (`ex.tStart !== 0` is false) as in rule 1.
//   3. What only removed code read: locals with no reference left (`const obs = host.observer;`), and the
//      fields of rule 2 with no read left (the timestamps) with their assignments.
// It throws when a check stands where it cannot be folded, when a check or an Observer.emit call is left
// outside the observer's own file (lib/stages.ts), and when there is nothing to remove.
import { realpathSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { SourceFile } from 'typescript/unstable/ast';
import { API, type Project } from 'typescript/unstable/sync';
import { compare, fold, FUNCTIONS, K, lineOf, literalOf, NOT, outer, pure, removeStatement, roleOf, snippet, walk }
  from './strip-syntax.js';
import type { Edit, Literal, N, Role, Source } from './strip-syntax.js';

/** The observer's API: its classes (declared in any file of the project) and their members. */
export interface ObserverApi {
  switchClass: string;
  flag: string;
  observerClass: string;
  timings: string;
  emit: string;
}

export const H1WIRE_OBSERVER: ObserverApi = {
  switchClass: 'StageSwitch',
  flag: 'on',
  observerClass: 'Observer',
  timings: 'timings',
  emit: 'emit',
};

export interface StripOutcome {
  /** Observation checks (flag reads and timings() calls) in the sources before stripping. */
  checks: number;
  /** Edits per file (path relative to the project): statements removed or replaced, expressions folded. */
  edits: Record<string, number>;
  /** One line per edit. */
  log: string[];
}

interface Ref {
  file: Source;
  /** The symbol, named by its declaration (the checker's symbol ids differ from file to file). */
  sym: string;
  role: Role;
  /** The identifier, or the property access it names. */
  expr: N;
}

/** A class field, or a local (`statement`: its own variable statement, in a function). */
interface Decl {
  /** Stable across rounds: file, enclosing classes and functions, name. */
  key: string;
  file: Source;
  node: N;
  statement: N | null;
  init: Literal | typeof NOT;
}

interface Scan {
  refs: Ref[];
  bySym: Map<string, Ref[]>;
  fields: Map<string, Decl>;
  locals: Map<string, Decl>;
  flag: string;
  timings: string;
  emit: string;
  /** The files that declare the observer's classes (their own code holds no observation site). */
  home: Set<string>;
}

function keyOf(file: Source, n: N): string {
  const names: string[] = [];
  for (let p: N | undefined = n; p !== undefined && p.kind !== K.SourceFile; p = p.parent) {
    if (p.name?.text !== undefined) names.unshift(p.name.text);
  }
  return `${file.rel}:${names.join('.')}`;
}

function scan(project: Project, root: string, roots: readonly string[], api: ObserverApi): Scan {
  const s: Scan = { refs: [], bySym: new Map(), fields: new Map(), locals: new Map(), flag: '', timings: '', emit: '',
    home: new Set() };
  const inRoots = (f: string): boolean => roots.some((r) => f.startsWith(join(root, r) + sep));
  const names = project.program.getSourceFileNames().filter((f) => inRoots(f) && !f.endsWith('.d.ts'));
  for (const name of names) {
    const file: Source = { rel: relative(root, name), sf: project.program.getSourceFile(name) as SourceFile };
    const ids: N[] = [];
    walk(file.sf, (n) => {
      if (n.kind === K.Identifier || n.kind === K.PrivateIdentifier) ids.push(n);
    });
    const symbols = project.checker.getSymbolAtLocation(ids);
    const symOf = new Map<N, string>();
    ids.forEach((id, i) => {
      const shorthand = id.parent.kind === K.ShorthandPropertyAssignment;
      const symbol = shorthand ? project.checker.getShorthandAssignmentValueSymbol(id.parent) : symbols[i];
      if (symbol === undefined) return;
      const decl = symbol.valueDeclaration ?? symbol.declarations[0];
      const sym = decl === undefined ? `symbol ${symbol.id}` : `${decl.path}#${decl.index}`;
      const ref: Ref = { file, sym, ...roleOf(id) };
      symOf.set(id, sym);
      s.refs.push(ref);
      s.bySym.set(sym, [...(s.bySym.get(sym) ?? []), ref]);
    });
    walk(file.sf, (n) => {
      const sym = n.name === undefined ? undefined : symOf.get(n.name);
      if (sym === undefined) return;
      const cls = n.parent;
      const init = literalOf(n.initializer);
      if (n.kind === K.PropertyDeclaration && cls.kind === K.ClassDeclaration) {
        s.fields.set(sym, { key: keyOf(file, n), file, node: n, statement: n, init });
      }
      if (n.kind === K.VariableDeclaration && n.name?.kind === K.Identifier && pure(n.initializer)) {
        const list = n.parent;
        let fn: N = list;
        while (fn.kind !== K.SourceFile && !FUNCTIONS.has(fn.kind)) fn = fn.parent;
        const own = list.declarations?.length === 1 && list.parent.kind === K.VariableStatement;
        const statement = own && fn.kind !== K.SourceFile ? list.parent : null;
        s.locals.set(sym, { key: keyOf(file, n), file, node: n, statement, init });
      }
      if (cls.kind === K.ClassDeclaration && (n.kind === K.GetAccessor || n.kind === K.MethodDeclaration)) {
        const member = `${cls.name?.text}.${n.name?.text}`;
        if (member === `${api.switchClass}.${api.flag}`) s.flag = sym;
        if (member === `${api.observerClass}.${api.timings}`) s.timings = sym;
        if (member === `${api.observerClass}.${api.emit}`) s.emit = sym;
        const owner = cls.name?.text;
        if (owner === api.switchClass || owner === api.observerClass) s.home.add(file.rel);
      }
    });
  }
  if (s.flag === '' || s.timings === '' || s.emit === '') {
    const o = api.observerClass;
    const names = `${api.switchClass}.${api.flag}, ${o}.${api.timings} and ${o}.${api.emit}`;
    throw new Error(`not all of ${names} are declared in ${roots.join(', ')}: update H1WIRE_OBSERVER`);
  }
  return s;
}

/** The observation checks left: reads of the flag, calls of timings(). */
function checksOf(s: Scan): Ref[] {
  return s.refs.filter((r) => {
    if (r.role !== 'read' || s.home.has(r.file.rel)) return false;
    const call = outer(r.expr).parent;
    const called = call.kind === K.CallExpression && call.expression === outer(r.expr);
    return r.sym === s.flag || (r.sym === s.timings && called);
  });
}

/** One round of edits. `assigned` and `read`: keys of the fields and locals the original sources assign / read. */
function edits(s: Scan, assigned: Set<string>, read: Set<string>): Edit[] {
  const out: Edit[] = [];
  const refs = (sym: string, ...roles: Role[]): Ref[] => (s.bySym.get(sym) ?? []).filter((r) => roles.includes(r.role));
  // Rule 1.
  for (const r of checksOf(s)) {
    const at = r.sym === s.flag ? r.expr : outer(r.expr).parent;
    const edit = fold(r.file, at, false);
    if (edit === null) {
      throw new Error(`${lineOf(r.file, at)}: the observation check \`${snippet(r.file, at)}\` is not a condition ` +
        'that can be folded away: teach bench/load/strip-syntax.ts this shape');
    }
    out.push(edit);
  }
  // Rule 2.
  const constants = new Map<string, Literal>();
  for (const [sym, d] of [...s.fields, ...s.locals]) {
    const same = (w: Ref): boolean => w.role === 'write' && literalOf(outer(w.expr).parent.right) === d.init;
    if (d.init !== NOT && assigned.has(d.key) && refs(sym, 'write', 'readwrite').every(same)) {
      constants.set(sym, d.init);
    }
  }
  for (const [sym, value] of constants) {
    for (const r of refs(sym, 'read')) {
      const e = r.expr;
      const plain = e.kind !== K.PropertyAccessExpression || (e.questionDotToken === undefined && pure(e));
      const c = plain ? compare(r.expr, value) : null;
      const edit = c === null ? null : fold(r.file, c.node, c.value);
      if (edit !== null) out.push(edit);
    }
  }
  // Rule 3.
  for (const [sym, d] of s.locals) {
    if (d.statement !== null && refs(sym, 'read', 'write', 'readwrite').length === 0) {
      out.push(removeStatement(d.file, d.statement));
    }
  }
  for (const [sym, d] of s.fields) {
    if (!constants.has(sym) || !read.has(d.key) || refs(sym, 'read', 'readwrite').length > 0) continue;
    // Its assignments (of its own literal) go with it; each must be a statement of its own.
    const writes = refs(sym, 'write').map((w) => ({ file: w.file, node: outer(w.expr).parent.parent }));
    if (writes.every((w) => w.node.kind === K.ExpressionStatement && pure(w.node.expression?.left))) {
      for (const w of [d, ...writes]) out.push(removeStatement(w.file, w.node));
    }
  }
  return out;
}

/** Applies the outermost of overlapping edits, file by file; returns the files changed. */
function apply(list: Edit[], root: string, outcome: StripOutcome): string[] {
  const byFile = new Map<Source, Edit[]>();
  for (const e of [...list].sort((a, b) => a.start - b.start || b.end - a.end)) {
    const kept = byFile.get(e.file) ?? [];
    const last = kept[kept.length - 1];
    if (last !== undefined && e.start < last.end) {
      if (e.end <= last.end) continue; // inside an edit already made
      throw new Error(`${e.file.rel}: overlapping edits (${last.note} / ${e.note})`);
    }
    byFile.set(e.file, [...kept, e]);
  }
  for (const [file, kept] of byFile) {
    let text = file.sf.text;
    for (const e of [...kept].reverse()) text = text.slice(0, e.start) + e.text + text.slice(e.end);
    writeFileSync(join(root, file.rel), text);
    outcome.edits[file.rel] = (outcome.edits[file.rel] ?? 0) + kept.length;
    outcome.log.push(...kept.map((e) => `${file.rel}: ${e.note}`));
  }
  return [...byFile.keys()].map((f) => join(root, f.rel));
}

/** Strips the observation code from the TypeScript project in `dir` (its tsconfig.json), in place. */
export function stripObservation(dir: string, roots = ['lib', 'native-free'], api = H1WIRE_OBSERVER): StripOutcome {
  const root = realpathSync(dir);
  const config = join(root, 'tsconfig.json');
  const client = new API({ cwd: root });
  const outcome: StripOutcome = { checks: 0, edits: {}, log: [] };
  try {
    let snapshot = client.updateSnapshot({ openProject: config });
    let original: { assigned: Set<string>; read: Set<string> } | null = null;
    for (let round = 1; round <= 30; round++) {
      const s = scan(snapshot.getProject(config) as Project, root, roots, api);
      if (original === null) {
        outcome.checks = checksOf(s).length;
        if (outcome.checks === 0) {
          const what = `${api.switchClass}.${api.flag}, ${api.observerClass}.${api.timings}()`;
          throw new Error(`no observation check (${what}) in ${roots.join(', ')}: nothing to strip, ` +
            'the two builds would be the same');
        }
        const keys = (...roles: Role[]): Set<string> => {
          const used = ([sym]: [string, Decl]): boolean => (s.bySym.get(sym) ?? []).some((r) => roles.includes(r.role));
          return new Set([...s.fields, ...s.locals].filter(used).map(([, d]) => d.key));
        };
        original = { assigned: keys('write', 'readwrite'), read: keys('read', 'readwrite') };
      }
      const list = edits(s, original.assigned, original.read);
      if (list.length > 0) {
        snapshot = client.updateSnapshot({ fileChanges: { changed: apply(list, root, outcome) } });
        continue;
      }
      const observer = [s.flag, s.timings, s.emit];
      const left = s.refs.filter((r) => r.role === 'read' && !s.home.has(r.file.rel) && observer.includes(r.sym));
      if (left.length > 0) {
        const where = left.map((r) => `${lineOf(r.file, r.expr)} \`${snippet(r.file, r.expr)}\``);
        throw new Error(`observation code left after stripping: ${where.join('; ')}`);
      }
      return outcome;
    }
    throw new Error('stripping observation code did not settle in 30 rounds');
  } finally {
    client.close();
  }
}
