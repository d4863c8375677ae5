// What RFC 9112 demands of a request head beyond what llhttp checks: the Host rules, the target forms, the
// Transfer-Encoding rules and the expectations. Pure: a parsed head in, an error (or null) out.
import { REQUEST_METHODS } from '../native-free/llhttp.js';
import type { HeadFields } from './head-fields.js';
import {
  BadRequestError,
  HttpError,
  NotImplementedError,
  VersionNotSupportedError,
} from './errors.js';

/** Every method that can reach a handler, sorted: those llhttp parses in a request, but CONNECT (501 below)
 * and PRI (only the HTTP/2 preface uses it: 505). What a route for "any method" takes. */
export const HANDLED_METHODS: readonly string[] = REQUEST_METHODS.filter((m) => m !== 'CONNECT' && m !== 'PRI').sort();

/** A request head as the parser produces it, before any user code sees it. */
export interface RequestHead {
  method: string;
  target: string;
  versionMajor: number;
  versionMinor: number;
  /** The header fields as received (values without surrounding whitespace); strings made when asked. */
  fields: HeadFields;
  /** llhttp's verdict from the version and the Connection header. */
  keepAlive: boolean;
  /** Filled in by `checkHead`: the Content-Length, or -1 when there is none. */
  contentLength: number;
  /** Filled in by `checkHead`: the body is chunked. */
  chunked: boolean;
  /** Filled in by `checkHead`: the request asked for `100 Continue` (HTTP/1.1 only). */
  expectContinue: boolean;
  /** Filled in by `checkHead`: an expectation we cannot meet (→ 417), or null. */
  unknownExpectation: string | null;
  /** What the request offers to switch to (its Upgrade field), when it may be upgraded; else null (upgrade.ts). */
  upgrade: string | null;
}

// RFC 3986 host [":" port]: IP-literal, or reg-name (which also covers IPv4); no userinfo, no path.
const HOST = /^(?:\[[0-9A-Za-z:.!$&'()*+,;=~_-]+\]|(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})*)(?::[0-9]*)?$/;

// reg-name characters without "%" (RFC 3986 unreserved and sub-delims), for the common case.
const REG_NAME = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=") REG_NAME[c.charCodeAt(0)] = 1;

/** Host = uri-host [":" port], the stretch text[from, to). A loop for plain names and IPv4 (nearly every
 * request); the regex for the rest. Offsets, not a slice: a head's Host is checked in place in its text. */
export function isValidHost(text: string, from = 0, to = text.length): boolean {
  let i = from;
  while (i < to) {
    const c = text.charCodeAt(i);
    if (c < 128 && REG_NAME[c] === 1) i++;
    else break;
  }
  if (i === to) return true;
  if (text.charCodeAt(i) !== 0x3a /* : */) return HOST.test(text.slice(from, to)); // "[", "%", or something invalid
  for (i++; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** text[start…] spells `lower` (lower-case letters and "-") ignoring ASCII case. Names are tokens, so `| 0x20`
 * only folds A–Z here (the one other byte it could fold onto "-" is CR, which no name holds). */
function isNamed(text: string, start: number, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) {
    if ((text.charCodeAt(start + i) | 0x20) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** Checks a head and fills in its framing fields. Returns the error that answers it, or null. */
export function checkHead(head: RequestHead): HttpError | null {
  if (head.versionMajor !== 1) {
    return new VersionNotSupportedError(`HTTP/${head.versionMajor}.${head.versionMinor} is not supported`);
  }
  const http11 = head.versionMinor >= 1;
  const fields = head.fields;
  const at = fields.at;
  const text = fields.text;
  let hosts = 0;
  let host = -1; // the Host field's index
  let transferEncoding: string | null = null;
  let expect: string | null = null;
  for (let i = 0; 4 * i < at.length; i++) {
    const start = at[4 * i] as number;
    // Compare name lengths first: most names are none of these. Values become strings only for these.
    switch ((at[4 * i + 1] as number) - start) {
      case 4:
        if (isNamed(text, start, 'host')) {
          hosts++;
          host = i;
        }
        break;
      case 6:
        if (isNamed(text, start, 'expect')) expect = expect === null ? fields.value(i) : `${expect}, ${fields.value(i)}`;
        break;
      case 14:
        if (isNamed(text, start, 'content-length')) head.contentLength = Number(fields.value(i));
        break;
      case 17:
        if (isNamed(text, start, 'transfer-encoding')) {
          transferEncoding = transferEncoding === null ? fields.value(i) : `${transferEncoding}, ${fields.value(i)}`;
        }
        break;
    }
  }

  if (hosts > 1) return new BadRequestError('more than one Host header', 'H1W_BAD_HOST');
  if (hosts === 0 && http11) return new BadRequestError('HTTP/1.1 requires a Host header', 'H1W_BAD_HOST');
  const hostFrom = hosts === 1 ? (at[4 * host + 2] as number) : 0;
  const hostTo = hosts === 1 ? (at[4 * host + 3] as number) : 0;
  if (hosts === 1 && !isValidHost(text, hostFrom, hostTo)) return new BadRequestError('invalid Host header', 'H1W_BAD_HOST');

  const targetError = checkTarget(head.method, head.target, http11 && hosts === 1 && hostFrom === hostTo);
  if (targetError !== null) return targetError;

  if (transferEncoding !== null) {
    // RFC 9112 §6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing.
    if (!http11) return new BadRequestError('Transfer-Encoding in an HTTP/1.0 request', 'H1W_BAD_TRANSFER_ENCODING');
    const error = checkTransferEncoding(transferEncoding);
    if (error !== null) return error;
    head.chunked = true;
  }

  if (expect !== null && http11) {
    // RFC 9110 §10.1.1: 100-continue is the only expectation defined; HTTP/1.0 expectations are ignored.
    if (expect.trim().toLowerCase() === '100-continue') head.expectContinue = true;
    else head.unknownExpectation = expect;
  }
  return null;
}

// absolute-form: scheme "://" authority, then the path, query or nothing (a "#" is refused before this).
const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)(?:[/?#]|$)/;

/** RFC 9112 §3.2: origin-form for most methods, absolute-form for any, `*` only for OPTIONS; none has a fragment.
 *
 * An empty Host: origin-form and `*` take their authority from Host (RFC 9112 §3.3), and an http URI with an
 * empty host is invalid (RFC 9110 §4.2.1: a recipient MUST reject it), so in HTTP/1.1 an empty Host is as good
 * as none → 400, as Http11Probe reads §3.2. An absolute-form target carries its own authority and the server
 * ignores Host (RFC 9112 §3.2.2), so an empty one passes there; HTTP/1.0 may omit Host, so it may leave it
 * empty too (`emptyHost` is only set for HTTP/1.1). */
function checkTarget(method: string, target: string, emptyHost: boolean): HttpError | null {
  if (method === 'CONNECT') return new NotImplementedError('CONNECT is not supported', 'H1W_CONNECT_UNSUPPORTED');
  // A fragment is the client's own business (RFC 9110 §4.2.5): never part of a request target (a SHOULD, §3).
  if (target.includes('#')) return new BadRequestError('a fragment (#...) is not part of a request target', 'H1W_BAD_TARGET');
  const first = target.charCodeAt(0);
  if (first === 0x2f /* / */ || target === '*') {
    if (emptyHost) return new BadRequestError('an empty Host leaves the target without a host', 'H1W_BAD_HOST');
    if (first === 0x2f) return null;
    return method === 'OPTIONS' ? null : new BadRequestError('"*" is a target for OPTIONS only', 'H1W_BAD_TARGET');
  }
  const absolute = ABSOLUTE_FORM.exec(target);
  if (absolute === null) return new BadRequestError('invalid request target', 'H1W_BAD_TARGET');
  // The authority is a host as in Host: no userinfo (RFC 9110 §4.2.4: an error, a phishing tool), not empty.
  const authority = absolute[1] as string;
  if (authority === '' || !isValidHost(authority)) return new BadRequestError('invalid authority in the request target', 'H1W_BAD_TARGET');
  return null;
}

/** llhttp already refuses a Transfer-Encoding whose last coding is not chunked. We refuse the rest: chunked
 * applied twice (400), and any other coding, which we cannot decode (501, RFC 9112 §6.1). */
function checkTransferEncoding(value: string): HttpError | null {
  let chunked = 0;
  for (const part of value.split(',')) {
    const coding = part.trim().toLowerCase();
    if (coding === 'chunked') chunked++;
    else if (coding !== '') return new NotImplementedError(`transfer coding "${coding}" is not supported`);
  }
  if (chunked !== 1) return new BadRequestError('chunked must be applied exactly once', 'H1W_BAD_TRANSFER_ENCODING');
  return null;
}
