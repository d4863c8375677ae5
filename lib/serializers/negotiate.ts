// Content negotiation (RFC 9110 §12.5.1): pick the serializer whose media type the Accept header ranks
// highest; ties go to the server's order. Pure: a header value and a list in, a choice out.
import type { Serializer } from './serializer.js';

interface Range {
  type: string;
  subtype: string;
  q: number;
  specificity: number;
}

function parseAccept(accept: string): Range[] {
  const ranges: Range[] = [];
  for (const part of accept.split(',')) {
    const [media = '', ...params] = part.split(';');
    const slash = media.indexOf('/');
    if (slash < 0) continue;
    const type = media.slice(0, slash).trim().toLowerCase();
    const subtype = media.slice(slash + 1).trim().toLowerCase();
    if (type === '' || subtype === '') continue;
    let q = 1;
    for (const param of params) {
      const eq = param.indexOf('=');
      if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== 'q') continue;
      const value = Number(param.slice(eq + 1).trim());
      q = Number.isFinite(value) ? Math.min(Math.max(value, 0), 1) : 0;
    }
    const specificity = type === '*' ? 0 : subtype === '*' ? 1 : 2;
    ranges.push({ type, subtype, q, specificity });
  }
  return ranges;
}

/** The q-value Accept gives a media type: the most specific matching range decides (0 when none matches). */
function quality(ranges: Range[], contentType: string): number {
  const media = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  const slash = media.indexOf('/');
  const type = media.slice(0, slash);
  const subtype = media.slice(slash + 1);
  let best = -1;
  let q = 0;
  for (const range of ranges) {
    const matches =
      (range.type === '*' || range.type === type) && (range.subtype === '*' || range.subtype === subtype);
    if (matches && range.specificity > best) {
      best = range.specificity;
      q = range.q;
    }
  }
  return q;
}

/**
 * The serializer to use for `accept`, from `candidates` (first = the default). With no Accept header, or
 * an empty one, the default. When nothing is acceptable: null if `strict` (the caller answers 406), else
 * the default.
 */
export function negotiate(accept: string | undefined, candidates: readonly Serializer[], strict: boolean): Serializer | null {
  const fallback = candidates[0] ?? null;
  if (accept === undefined || accept.trim() === '' || candidates.length === 0) return fallback;
  const ranges = parseAccept(accept);
  if (ranges.length === 0) return fallback;
  let chosen: Serializer | null = null;
  let chosenQ = 0;
  for (const candidate of candidates) {
    const q = quality(ranges, candidate.contentType);
    if (q > chosenQ) {
      chosen = candidate;
      chosenQ = q;
    }
  }
  if (chosen !== null) return chosen;
  return strict ? null : fallback;
}
