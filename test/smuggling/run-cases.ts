// The smuggling cases' runner: each case is sent whole, one byte per write and split at random boundaries
// (fixed seeds), each on its own connection, and what comes back is read with the strict response parser.
//
// A case expects one of:
//   refuse — one answer (400 unless the case allows 501), `Connection: close`, then an orderly close; nothing
//            after it, so a request hidden in the body is never answered;
//   accept — the request is valid per RFC 9112 and framed as the RFC says: the answers listed (status and
//            body), in order, and the connection kept (or closed when the case says so);
//   either — RFC 9112/9110 allow the request but refusing it is on the safe side: refused as above, or
//            accepted exactly as listed; whichever it is, the same for every way of cutting the bytes.
import { converse, type ConverseResult } from '../helpers/converse.js';
import { show } from '../helpers/requests.js';
import { headerOf } from '../helpers/response-parser.js';
import { pieces, prng, type Split } from '../helpers/wire.js';

export interface Answer {
  status: number;
  /** The exact body, when it matters. */
  body?: string;
}

export interface SmugglingCase {
  id: string;
  request: string;
  expect: 'refuse' | 'accept' | 'either';
  /** Statuses a refusal may carry (default [400]). */
  refuseWith?: number[];
  /** For accept / either: the answers of a correct reading, in order. */
  answers?: Answer[];
  /** For accept / either: the connection closes after the answers (e.g. HTTP/1.0). */
  closes?: boolean;
  /** Which answers are to HEAD requests (no body follows their heads). */
  heads?: number[];
  note?: string;
}

/** A request that must never be answered when it hides in a refused request's body (the demo: 404). */
export const SMUGGLED = 'GET /smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n';
/** A genuine follow-up request, for cases that are accepted: it must be answered next. */
export const AFTER = 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n';
export const HELLO_WORLD = '{"hello":"world"}';

export const SPLITS: readonly { split: Split; seed: number; label: string }[] = [
  { split: 'whole', seed: 1, label: 'whole' },
  { split: 'bytes', seed: 1, label: 'one byte per write' },
  { split: 'random', seed: 17, label: 'random split, seed 17' },
  { split: 'random', seed: 2024, label: 'random split, seed 2024' },
  { split: 'random', seed: 777_777, label: 'random split, seed 777777' },
];

type Outcome = 'refused' | 'accepted';

function refusalProblems(c: SmugglingCase, r: ConverseResult): string[] {
  const problems: string[] = [];
  const allowed = c.refuseWith ?? [400];
  const finals = r.parsed.finals;
  if (r.parsed.error !== null) problems.push(`strict parser: ${r.parsed.error}`);
  if (r.parsed.partial) problems.push('an incomplete response');
  if (finals.length !== 1) problems.push(`${finals.length} responses; a refusal is one answer and nothing after it (a second means a hidden request was answered)`);
  const first = finals[0];
  if (first !== undefined) {
    if (!allowed.includes(first.status)) problems.push(`status ${first.status}; wanted ${allowed.join(' or ')}`);
    if (headerOf(first.headers, 'connection') !== 'close') problems.push(`Connection: ${headerOf(first.headers, 'connection')}; a refusal must say close`);
  }
  if (r.parsed.responses.length !== finals.length) problems.push('an interim response');
  if (!(r.closed && r.fin && !r.reset)) problems.push(`wanted an orderly close; closed=${r.closed} fin=${r.fin} reset=${r.reset}`);
  return problems;
}

function acceptanceProblems(c: SmugglingCase, r: ConverseResult): string[] {
  const problems: string[] = [];
  const answers = c.answers ?? [];
  const finals = r.parsed.finals;
  if (r.parsed.error !== null) problems.push(`strict parser: ${r.parsed.error}`);
  if (r.parsed.partial) problems.push('an incomplete response');
  if (finals.length !== answers.length) problems.push(`${finals.length} responses; wanted ${answers.length}`);
  for (const [i, want] of answers.entries()) {
    const got = finals[i];
    if (got === undefined) break;
    if (got.status !== want.status) problems.push(`response ${i}: status ${got.status}; wanted ${want.status}`);
    if (want.body !== undefined && got.body.toString('latin1') !== want.body) {
      problems.push(`response ${i}: body ${JSON.stringify(got.body.toString('latin1'))}; wanted ${JSON.stringify(want.body)}`);
    }
  }
  if (c.closes === true) {
    if (!(r.closed && r.fin)) problems.push('wanted the connection closed after the answers');
  } else if (r.closed) {
    problems.push('the connection was closed; wanted it kept');
  }
  return problems;
}

/** Runs one case in every split; returns the failures (empty when it passed). */
export async function runCase(port: number, c: SmugglingCase): Promise<string[]> {
  const data = Buffer.from(c.request, 'latin1');
  const results = await Promise.all(
    SPLITS.map(async (s) => {
      const parts = pieces(data, s.split, prng(s.seed));
      const refusing = c.expect === 'refuse';
      const r = await converse(port, parts, {
        isHead: (i) => (c.heads ?? []).includes(i),
        responses: refusing ? 1 : (c.answers ?? []).length,
        untilClose: refusing || c.closes === true,
        // A kept connection is watched a little longer, for stray answers or a close.
        graceMs: refusing ? 0 : 150,
        timeoutMs: 4000,
      });
      return { s, r };
    }),
  );
  const failures: string[] = [];
  const outcomes = new Set<Outcome>();
  for (const { s, r } of results) {
    let problems: string[];
    if (c.expect === 'refuse') problems = refusalProblems(c, r);
    else if (c.expect === 'accept') problems = acceptanceProblems(c, r);
    else {
      // Either: judged as whichever it looks like (a first answer with Connection: close is a refusal).
      const first = r.parsed.finals[0];
      const refused = first !== undefined && (c.refuseWith ?? [400]).includes(first.status) && headerOf(first.headers, 'connection') === 'close';
      outcomes.add(refused ? 'refused' : 'accepted');
      problems = refused ? refusalProblems(c, r) : acceptanceProblems(c, r);
    }
    if (problems.length > 0) {
      failures.push(`${c.id} [${s.label}]: ${problems.join('; ')}\n    sent: ${show(data, 400)}\n    got:  ${show(r.bytes, 600)}`);
    }
  }
  if (outcomes.size > 1) failures.push(`${c.id}: refused in some splits and accepted in others (the framing must not depend on how the bytes arrive)`);
  return failures;
}

/** Runs cases side by side. */
export async function runCases(port: number, cases: readonly SmugglingCase[]): Promise<string[]> {
  const all = await Promise.all(cases.map((c) => runCase(port, c)));
  return all.flat();
}
