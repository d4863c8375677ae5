// The syntax side of strip-transform.ts: what a node is (a literal, free of side effects, read or assigned),
// and the edit that follows from a condition being always true or always false. Nodes come from TypeScript's
// own parser (typescript/unstable/ast); nothing here looks at source text except to copy a kept branch.
import { SyntaxKind, type Node, type SourceFile } from 'typescript/unstable/ast';

export const K = SyntaxKind;

/** The syntax-node fields the transform reads: one loose view of TypeScript's node interfaces. */
export interface N extends Node {
  readonly parent: N;
  readonly text?: string;
  readonly name?: N;
  readonly expression?: N;
  readonly left?: N;
  readonly right?: N;
  readonly operatorToken?: N;
  readonly operator?: SyntaxKind;
  readonly operand?: N;
  readonly thenStatement?: N;
  readonly elseStatement?: N;
  readonly condition?: N;
  readonly whenTrue?: N;
  readonly whenFalse?: N;
  readonly initializer?: N;
  readonly questionDotToken?: N;
  readonly declarations?: readonly N[];
}

export type Literal = number | string | boolean | null;
export const NOT = Symbol('not a literal');
export type Role = 'decl' | 'read' | 'write' | 'readwrite';

export interface Source {
  /** Path relative to the project. */
  rel: string;
  sf: SourceFile;
}

/** Replace [start, end) of a file's text. */
export interface Edit {
  file: Source;
  start: number;
  end: number;
  text: string;
  note: string;
}

export const FUNCTIONS = new Set([K.FunctionDeclaration, K.FunctionExpression, K.ArrowFunction,
  K.MethodDeclaration, K.Constructor, K.GetAccessor, K.SetAccessor]);
const DECLARATIONS = new Set([K.VariableDeclaration, K.PropertyDeclaration, K.Parameter, K.MethodDeclaration,
  K.GetAccessor, K.SetAccessor, K.FunctionDeclaration, K.ClassDeclaration, K.PropertySignature, K.MethodSignature,
  K.BindingElement, K.PropertyAssignment, K.EnumMember, K.InterfaceDeclaration, K.TypeAliasDeclaration]);
const WRAPPERS = new Set([K.ParenthesizedExpression, K.NonNullExpression, K.AsExpression, K.SatisfiesExpression]);
const EQUALITY = new Set([K.EqualsEqualsEqualsToken, K.ExclamationEqualsEqualsToken, K.EqualsEqualsToken,
  K.ExclamationEqualsToken]);
const STATEMENT_LISTS = new Set([K.Block, K.SourceFile, K.CaseClause, K.DefaultClause, K.ModuleBlock]);

const opOf = (n: N): SyntaxKind => (n.kind === K.BinaryExpression ? (n.operatorToken as N).kind : K.Unknown);

export function literalOf(n: N | undefined): Literal | typeof NOT {
  switch (n?.kind) {
    case K.NumericLiteral:
      return Number(n.text);
    case K.StringLiteral:
    case K.NoSubstitutionTemplateLiteral:
      return n.text as string;
    case K.NullKeyword:
      return null;
    case K.TrueKeyword:
      return true;
    case K.FalseKeyword:
      return false;
    case K.ParenthesizedExpression:
      return literalOf(n.expression);
    case K.PrefixUnaryExpression: {
      const v = n.operator === K.MinusToken ? literalOf(n.operand) : NOT;
      return typeof v === 'number' ? -v : NOT;
    }
    default:
      return NOT;
  }
}

/** No side effect when evaluated (property reads are taken as plain reads, as the old text stripper did). */
export function pure(n: N | undefined): boolean {
  if (n === undefined) return true;
  if (literalOf(n) !== NOT || n.kind === K.Identifier || n.kind === K.ThisKeyword) return true;
  if (n.kind === K.PropertyAccessExpression || WRAPPERS.has(n.kind)) return pure(n.expression);
  if (n.kind === K.PrefixUnaryExpression) {
    return n.operator !== K.PlusPlusToken && n.operator !== K.MinusMinusToken && pure(n.operand);
  }
  if (n.kind === K.BinaryExpression) {
    const op = opOf(n);
    return (op < K.FirstAssignment || op > K.LastAssignment) && pure(n.left) && pure(n.right);
  }
  if (n.kind === K.ConditionalExpression) return pure(n.condition) && pure(n.whenTrue) && pure(n.whenFalse);
  return false;
}

/** `n` with the parentheses, `!`-assertions and `as` casts around it. */
export function outer(n: N): N {
  let m = n;
  while (WRAPPERS.has(m.parent.kind)) m = m.parent;
  return m;
}

/** What an identifier does where it stands, and the expression that reads or assigns (`x` or `a.x`). */
export function roleOf(id: N): { role: Role; expr: N } {
  const p = id.parent;
  if (DECLARATIONS.has(p.kind) && p.name === id) return { role: 'decl', expr: id };
  if (p.kind === K.ShorthandPropertyAssignment) return { role: 'read', expr: id };
  const expr = p.kind === K.PropertyAccessExpression && p.name === id ? p : id;
  const up = outer(expr);
  const q = up.parent;
  if (q.kind === K.BinaryExpression && q.left === up) {
    const op = opOf(q);
    if (op === K.EqualsToken) return { role: 'write', expr };
    if (op >= K.FirstCompoundAssignment && op <= K.LastCompoundAssignment) return { role: 'readwrite', expr };
  }
  const step = q.operator === K.PlusPlusToken || q.operator === K.MinusMinusToken;
  if ((q.kind === K.PrefixUnaryExpression || q.kind === K.PostfixUnaryExpression) && step) {
    return { role: 'readwrite', expr };
  }
  return { role: 'read', expr };
}

export function walk(n: Node, visit: (n: N) => void): void {
  visit(n as N);
  n.forEachChild((c) => walk(c, visit));
}

export function lineOf(file: Source, n: N): string {
  return `${file.rel}:${file.sf.text.slice(0, n.getStart(file.sf)).split('\n').length}`;
}

export function snippet(file: Source, n: N): string {
  const text = n.getText(file.sf).replace(/\s+/g, ' ');
  return text.length > 100 ? `${text.slice(0, 99)}…` : text;
}

/** Removes a statement (its whole lines when it has them to itself); `{}` where a statement must stay. */
export function removeStatement(file: Source, n: N): Edit {
  const note = `removed ${snippet(file, n)}`;
  if (!STATEMENT_LISTS.has(n.parent.kind) && n.kind !== K.PropertyDeclaration) {
    return { file, start: n.getStart(file.sf), end: n.end, text: '{}', note };
  }
  const text = file.sf.text;
  let start = n.getStart(file.sf);
  let end = n.end;
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  const lineEnd = text.indexOf('\n', end);
  const rest = text.slice(end, lineEnd < 0 ? text.length : lineEnd).trim();
  if (text.slice(lineStart, start).trim() === '' && (rest === '' || rest.startsWith('//'))) {
    start = lineStart;
    end = lineEnd < 0 ? text.length : lineEnd + 1;
  }
  return { file, start, end, text: '', note };
}

function replace(file: Source, n: N, by: N, parenthesize: boolean, note: string): Edit {
  const inner = by.getText(file.sf);
  return { file, start: n.getStart(file.sf), end: n.end, text: parenthesize ? `(${inner})` : inner, note };
}

/** Is `n`'s value only ever tested for truth (an if/loop/?: condition, through !, && and ||)? */
function tested(n: N): boolean {
  const p = outer(n).parent;
  if (p.kind === K.IfStatement || p.kind === K.WhileStatement || p.kind === K.DoStatement) {
    return p.expression === outer(n);
  }
  if (p.kind === K.ConditionalExpression) return p.condition === outer(n);
  if (p.kind === K.PrefixUnaryExpression && p.operator === K.ExclamationToken) return true;
  return (opOf(p) === K.AmpersandAmpersandToken || opOf(p) === K.BarBarToken) && tested(p);
}

/** The edit that `n` being always `value` allows; null when it cannot be folded (a value used as such). */
export function fold(file: Source, n: N, value: boolean): Edit | null {
  let cur = outer(n);
  for (;;) {
    const p = cur.parent;
    const op = opOf(p);
    if (p.kind === K.PrefixUnaryExpression && p.operator === K.ExclamationToken) {
      value = !value;
      cur = outer(p);
    } else if (op === K.AmpersandAmpersandToken || op === K.BarBarToken) {
      const left = p.left === cur;
      const other = (left ? p.right : p.left) as N;
      if (value === (op === K.BarBarToken)) {
        // false && x, x && false, true || x, x || true: the whole is `value` (an x evaluated first must be pure).
        if (!left && !pure(other)) return null;
        cur = outer(p);
      } else if (left || tested(p)) {
        return replace(file, p, other, true, `folded ${snippet(file, p)}`);
      } else {
        return null;
      }
    } else if (p.kind === K.IfStatement && p.expression === cur) {
      const branch = value ? p.thenStatement : p.elseStatement;
      if (branch === undefined) return removeStatement(file, p);
      return replace(file, p, branch, false, `kept the ${value ? 'then' : 'else'} branch of ${snippet(file, p)}`);
    } else if (p.kind === K.ConditionalExpression && p.condition === cur) {
      return replace(file, p, (value ? p.whenTrue : p.whenFalse) as N, true, `folded ${snippet(file, p)}`);
    } else {
      return null;
    }
  }
}

/** The comparison `expr` stands in, and its value when `expr` is `value`; null if it is no such comparison. */
export function compare(expr: N, value: Literal): { node: N; value: boolean } | null {
  const node = outer(expr).parent;
  const op = opOf(node);
  if (!EQUALITY.has(op)) return null;
  const other = literalOf(node.left === outer(expr) ? node.right : node.left);
  if (other === NOT) return null;
  if (op === K.EqualsEqualsEqualsToken) return { node, value: value === other };
  if (op === K.ExclamationEqualsEqualsToken) return { node, value: value !== other };
  if (typeof value !== typeof other) return null; // == across types: not folded
  return { node, value: (value === other) === (op === K.EqualsEqualsToken) };
}
