// Grades one corpus case the way ../shared/conformance/README.md says: split what the server sent into
// responses by their own framing, then check status, count, close, interim, body and forbidden statuses.
import { parseResponses } from '../helpers/response-parser.js';
import type { Step, WireResult } from '../helpers/wire.js';

export interface Expect {
  status?: (number | 'close' | 'timeout')[];
  responses?: number;
  closed?: boolean;
  interim?: number | 'none';
  body?: string;
  not?: number[];
}

export interface Case {
  id: string;
  source?: string;
  request?: string;
  steps?: { send: string; waitMs?: number }[];
  expect: Expect;
  note?: string;
}

export function input(c: Case): string | Step[] {
  if (c.steps !== undefined) return c.steps.map((s) => ({ send: s.send, waitMs: s.waitMs }));
  return c.request ?? '';
}

/** Request methods in order, to know which responses answer HEAD (and carry no body). */
function methods(c: Case): string[] {
  const text = c.request ?? (c.steps ?? []).map((s) => s.send).join('');
  const found: string[] = [];
  const re = /(?:^|\n)([A-Z][A-Z-]*) [^ \r\n]+ HTTP\/\d\.\d\r?\n/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) found.push(m[1] as string);
  return found;
}

/** The reasons a case failed (empty when it passed). */
export function grade(c: Case, result: WireResult): string[] {
  const failures: string[] = [];
  const heads = methods(c);
  const parsed = parseResponses(result.bytes, (i) => heads[i] === 'HEAD', result.closed);
  const all = parsed.responses;
  const finals = all.filter((r) => r.status >= 200);
  const interims = all.filter((r) => r.status < 200);
  const e = c.expect;
  const unparsed = parsed.error ?? (parsed.partial ? 'an incomplete response' : null);
  if (unparsed !== null) failures.push(`unparseable output (${unparsed}): ${JSON.stringify(parsed.rest.toString('latin1').slice(0, 120))}`);
  if (e.status !== undefined) {
    const first = finals[0];
    if (first === undefined) {
      const ok = (result.closed && e.status.includes('close')) || (!result.closed && e.status.includes('timeout'));
      if (!ok) failures.push(`no response (${result.closed ? 'closed' : 'still open'}); wanted ${JSON.stringify(e.status)}`);
    } else if (!e.status.includes(first.status)) {
      failures.push(`status ${first.status}; wanted ${JSON.stringify(e.status)}`);
    }
  }
  if (e.responses !== undefined && finals.length !== e.responses) {
    failures.push(`${finals.length} responses; wanted ${e.responses}`);
  }
  if (e.closed !== undefined && result.closed !== e.closed) {
    failures.push(result.closed ? 'closed; wanted it kept open' : 'kept open; wanted it closed');
  }
  if (e.interim === 'none' && interims.length > 0) failures.push(`sent ${interims.map((r) => r.status).join(', ')}; wanted no 1xx`);
  if (typeof e.interim === 'number') {
    if (all[0] === undefined || all[0].status !== e.interim) failures.push(`first response ${all[0]?.status ?? 'none'}; wanted ${e.interim} first`);
  }
  if (e.body !== undefined && !result.bytes.toString('latin1').includes(e.body)) failures.push(`body lacks ${JSON.stringify(e.body)}`);
  for (const status of e.not ?? []) if (all.some((r) => r.status === status)) failures.push(`sent forbidden status ${status}`);
  return failures;
}
