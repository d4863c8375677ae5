// The URL of a web Request made from an h1wire request. Fetch's request.url is a parsed URL, serialized
// (WHATWG URL): dot segments removed, the host lower-cased, a default port dropped, characters such as `"` or
// `{` percent-encoded. The request's own bytes (RFC 9112 §3.3: scheme, Host, target) are usually already in
// that form: they are then joined as they are, and only anything else goes through the URL parser.
import { BadUrlError } from './errors.js';
import type { Request as H1Request } from './request.js';

/** Scheme of the request: `https` when the connection says so (TLS, or a trusted proxy's forwarding), else `http`. */
export function schemeOf(req: H1Request): 'http' | 'https' {
  return req.protocol === 'https' ? 'https' : 'http';
}

// Bytes the URL serializer keeps as they are, in a path and in a query (of an http or https URL), on Node 20
// and 24 alike. Not in either: controls, space, `"`, `<`, `>`, `\`; in the path also `` ` ``, `{`, `}`, `^`
// (Node 24 encodes it) and `?`, `#`; in the query also `'`. `.` is kept, but a dot segment is not.
const KEPT_IN_PATH = new Uint8Array(128);
const KEPT_IN_QUERY = new Uint8Array(128);
for (const c of "!$%&'()*+,-./0123456789:;=@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]_abcdefghijklmnopqrstuvwxyz|~") KEPT_IN_PATH[c.charCodeAt(0)] = 1;
for (const c of '!$%&()*+,-./0123456789:;=?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~') KEPT_IN_QUERY[c.charCodeAt(0)] = 1;

/** An origin-form target the URL serializer leaves as it is: kept bytes only, and no `.` or `..` segment (nor
 * one spelled `%2e`, which the parser decodes as a dot). */
export function isSerializedTarget(target: string): boolean {
  if (target.charCodeAt(0) !== 0x2f /* / */) return false;
  let i = 0;
  const n = target.length;
  for (; i < n; i++) {
    const c = target.charCodeAt(i);
    if (c === 0x3f /* ? */) break;
    if (c >= 128 || KEPT_IN_PATH[c] !== 1) return false;
    if (c === 0x2f && isDotSegment(target, i + 1)) return false;
    if (c === 0x25 /* % */ && target.charCodeAt(i + 1) === 0x32 /* 2 */ && (target.charCodeAt(i + 2) | 0x20) === 0x65 /* e */) return false;
  }
  for (i++; i < n; i++) {
    const c = target.charCodeAt(i);
    if (c >= 128 || KEPT_IN_QUERY[c] !== 1) return false;
  }
  return true;
}

/** Whether the path segment starting at `at` is `.` or `..`. */
function isDotSegment(target: string, at: number): boolean {
  let end = at;
  while (end < at + 3 && target.charCodeAt(end) === 0x2e /* . */) end++;
  if (end === at || end - at > 2) return false;
  const next = target.charCodeAt(end);
  return Number.isNaN(next) || next === 0x2f || next === 0x3f;
}

/** A Host the URL serializer leaves as it is: lower-case letters, digits, `-` and `.`, not ending in a number
 * (the parser reads such a host as IPv4 and rewrites it, `127.1` → `127.0.0.1`, unless it is four decimal
 * numbers already), and a port, if any, with no leading zero, at most 65535, and not the scheme's default.
 * Anything else (upper case, IPv6, a percent-encoded name, …) is left to the parser. */
export function isSerializedHost(host: string, scheme: 'http' | 'https'): boolean {
  let i = 0;
  const n = host.length;
  for (; i < n; i++) {
    const c = host.charCodeAt(i);
    if (c === 0x3a /* : */) break;
    if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d /* - */ || c === 0x2e) /* . */) return false;
  }
  if (i === 0) return false;
  const name = host.slice(0, i);
  if (endsInNumber(name) && !isDottedQuad(name)) return false;
  if (i === n) return true;
  const port = host.slice(i + 1);
  if (!/^[1-9][0-9]{0,4}$/.test(port)) return false;
  const value = Number(port);
  return value <= 65535 && value !== (scheme === 'https' ? 443 : 80);
}

/** WHATWG URL's "ends in a number": the last label, past one trailing dot, is decimal digits or 0x and hex. */
function endsInNumber(name: string): boolean {
  const labels = name.split('.');
  if (labels[labels.length - 1] === '' && labels.length > 1) labels.pop();
  return /^(?:[0-9]+|0x[0-9a-f]*)$/.test(labels[labels.length - 1] as string);
}

function isDottedQuad(host: string): boolean {
  const parts = host.split('.');
  return parts.length === 4 && parts.every((part) => /^(?:0|[1-9][0-9]{0,2})$/.test(part) && Number(part) <= 255);
}

/** The URL parser's serialization of `url`; a 400 when it is no URL (a port past 65535, a host such as `a.1`). */
function serialized(url: string): string {
  try {
    return new URL(url).href;
  } catch (error) {
    throw new BadUrlError('the request target and Host make no valid URL', error);
  }
}

/** The absolute URL of a request, as fetch's request.url: an absolute-form target, else scheme://Host + target. */
export function urlOf(req: H1Request, defaultHost: string): string {
  const target = req.target;
  const first = target.charCodeAt(0);
  if (first !== 0x2f /* / */ && target !== '*') return serialized(target); // absolute-form, checked by h1wire
  const host = req.header('host') || defaultHost; // empty or absent only on HTTP/1.0
  const scheme = schemeOf(req);
  const path = first === 0x2f ? target : '/';
  const url = `${scheme}://${host}${path}`;
  return isSerializedHost(host, scheme) && isSerializedTarget(path) ? url : serialized(url);
}
