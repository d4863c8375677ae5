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

/** A Host the URL serializer leaves as it is: lower-case letters, digits, `-` and `.`, a last label that does
 * not start with a digit (the parser reads a host ending in a number as IPv4 and rewrites it, `127.1` →
 * `127.0.0.1`) unless the host is four decimal numbers already, and a port, if any, with no leading zero, at
 * most 65535, and not the scheme's default. Anything else (upper case, IPv6, a percent-encoded name, …) is left
 * to the parser. A loop, no allocation: it runs for every request whose URL an app reads. */
export function isSerializedHost(host: string, scheme: 'http' | 'https'): boolean {
  let i = 0;
  const n = host.length;
  let labelStart = 0; // of the last label that is not empty (a trailing dot ends an empty one)
  for (; i < n; i++) {
    const c = host.charCodeAt(i);
    if (c === 0x3a /* : */) break;
    if (c === 0x2e /* . */) {
      if (i + 1 < n && host.charCodeAt(i + 1) !== 0x3a) labelStart = i + 1;
    } else if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d)) /* a-z 0-9 - */ return false;
  }
  if (i === 0) return false;
  const first = host.charCodeAt(labelStart);
  if (first >= 0x30 && first <= 0x39 && !isDottedQuad(host, i)) return false;
  if (i === n) return true;
  let port = 0;
  if (i + 1 === n || host.charCodeAt(i + 1) === 0x30 /* a leading 0 */ || n - i - 1 > 5) return false;
  for (let j = i + 1; j < n; j++) {
    const c = host.charCodeAt(j);
    if (c < 0x30 || c > 0x39) return false;
    port = port * 10 + (c - 0x30);
  }
  return port <= 65535 && port !== (scheme === 'https' ? 443 : 80);
}

/** host[0, end) is four decimal numbers 0–255, dot-separated, with no leading zeros (IPv4 as serialized). */
function isDottedQuad(host: string, end: number): boolean {
  let parts = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= end; i++) {
    const c = i === end ? 0x2e : host.charCodeAt(i);
    if (c === 0x2e) {
      if (digits === 0 || value > 255 || ++parts > 4) return false;
      value = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits === 1 && value === 0) return false; // a leading zero
      value = value * 10 + (c - 0x30);
      digits++;
    } else return false;
  }
  return parts === 4;
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
  return hostKept(host, scheme) && isSerializedTarget(path) ? url : serialized(url);
}

// The last Host checked, and the verdict: the requests a server gets nearly all name the same host, and comparing
// two equal strings costs less than checking one again (bench:layers put the check at 0.16 µs a request).
let lastHost = '';
let lastScheme = '';
let lastKept = false;

function hostKept(host: string, scheme: 'http' | 'https'): boolean {
  if (host !== lastHost || scheme !== lastScheme) {
    lastKept = isSerializedHost(host, scheme);
    lastHost = host;
    lastScheme = scheme;
  }
  return lastKept;
}
