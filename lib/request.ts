// The request user code sees. Everything costly is lazy: the lower-case header map, the path, the query.
import type { Socket } from 'node:net';
import { emptyBody, type RequestBody } from './request-body.js';
import type { RequestHead } from './request-rules.js';
import type { HeadFields } from './head-fields.js';
import { resolveForwarding, type Forwarding, type TrustFunction } from './forwarded.js';

/** What a request may ask of the connection it came on, without touching the socket. */
export interface RequestOrigin {
  readonly id: number;
  remoteAddress(): string;
  remotePort(): number;
  /** Whose forwarding headers to believe (null or absent: nobody). */
  readonly trustProxy?: TrustFunction | null;
  /** The connection is TLS. */
  encrypted?(): boolean;
  /** The socket, for the node:http view an upgrade hands to libraries like ws (null once it is gone). */
  rawSocket?(): Socket | null;
}

/** What node:http's IncomingMessage offers that upgrade libraries read (ws: method, url, headers, socket). */
export interface NodeRequestView {
  readonly method: string;
  readonly url: string;
  readonly httpVersion: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly rawHeaders: readonly string[];
  readonly socket: Socket | null;
}

/** Per-stage timings in milliseconds (present when timings are on: hooks, tracing, Server-Timing, or
 * `timings: true`). `parse` is the head's arrival to its dispatch, `write` is queued → flushed. */
export interface RequestTimings {
  start: number;
  parse: number;
  handle: number;
  serialize: number;
  frame: number;
  write: number;
}

const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({});

export class Request {
  /** The request's number on its connection (1, 2, …). */
  readonly sequence: number;
  readonly method: string;
  /** The request target exactly as sent: origin-form (/a?b), absolute-form (http://h/a?b) or *. */
  readonly target: string;
  /** "1.1" or "1.0". */
  readonly httpVersion: string;
  /** What the request offers to switch to (its Upgrade field, e.g. "websocket") when it may be upgraded: an
   * HTTP/1.1 request without a body, with `Connection: upgrade`, not h2c. Else null. See `upgrade()`. */
  readonly upgrade: string | null;
  /** Timings of this request's stages, when timings are on. */
  timings: RequestTimings | null = null;
  /** Path parameters, set by the router (`/status/:code` → { code: "404" }). */
  params: Readonly<Record<string, string>> = NO_PARAMS;

  private readonly fields: HeadFields;
  private readonly origin: RequestOrigin;
  private bodyStream: RequestBody | null;
  private headerMap: Record<string, string> | null = null;
  private pathValue: string | null = null;
  private queryValue: URLSearchParams | null = null;
  private abort: AbortController | null = null;
  private abortReason: unknown = undefined;
  private forwarding: Forwarding | null = null;

  constructor(head: RequestHead, origin: RequestOrigin, sequence: number, body: RequestBody | null) {
    this.sequence = sequence;
    this.method = head.method;
    this.target = head.target;
    this.httpVersion = head.versionMinor === 0 ? '1.0' : '1.1';
    this.fields = head.fields;
    this.upgrade = head.upgrade;
    this.origin = origin;
    this.bodyStream = body;
  }

  /** "connection.request", e.g. "7.3": the third request on connection 7. */
  get id(): string {
    return `${this.origin.id}.${this.sequence}`;
  }

  /** The body: `for await (const chunk of req.body)`, or `await req.body.text() / json() / bytes()`. */
  get body(): RequestBody {
    if (this.bodyStream === null) this.bodyStream = emptyBody();
    return this.bodyStream;
  }

  /** Header names and values as received, alternating (made on first use). */
  get rawHeaders(): readonly string[] {
    return this.fields.raw();
  }

  /** Trailer fields of a chunked body (name, value, …), once the body has been read to its end. */
  get trailers(): readonly string[] | null {
    return this.bodyStream === null ? null : this.bodyStream.trailers;
  }

  /** Headers by lower-case name; repeated fields are joined with ", " (cookies with "; "). */
  get headers(): Readonly<Record<string, string>> {
    if (this.headerMap === null) {
      const map: Record<string, string> = Object.create(null);
      const raw = this.fields.raw();
      for (let i = 0; i < raw.length; i += 2) {
        const name = (raw[i] as string).toLowerCase();
        const value = raw[i + 1] as string;
        const seen = map[name];
        map[name] = seen === undefined ? value : `${seen}${name === 'cookie' ? '; ' : ', '}${value}`;
      }
      this.headerMap = map;
    }
    return this.headerMap;
  }

  /** One header by name (any case), without building the map or any string but the value; repeated fields
   * joined as in `headers`. */
  header(name: string): string | undefined {
    if (this.headerMap !== null) return this.headerMap[name.toLowerCase()];
    return this.fields.get(name);
  }

  /** The path of the target, without the query ("/" for an absolute-form target with none, "*" for *). */
  get path(): string {
    if (this.pathValue === null) this.pathValue = pathOf(this.target);
    return this.pathValue;
  }

  /** The query string without "?" ("" when there is none). */
  get search(): string {
    const target = this.target;
    const q = target.indexOf('?');
    if (q < 0) return '';
    const hash = target.indexOf('#', q);
    return target.slice(q + 1, hash < 0 ? target.length : hash);
  }

  /** The parsed query. */
  get query(): URLSearchParams {
    if (this.queryValue === null) this.queryValue = new URLSearchParams(this.search);
    return this.queryValue;
  }

  get remoteAddress(): string {
    return this.origin.remoteAddress();
  }

  get remotePort(): number {
    return this.origin.remotePort();
  }

  /** The client's address: the peer's, or through trusted proxies (`trustProxy`) the first untrusted one. */
  get ip(): string {
    return this.forwarded.ip;
  }

  /** "http" or "https" as the client spoke it (through trusted proxies, from Forwarded / X-Forwarded-Proto). */
  get protocol(): string {
    return this.forwarded.protocol;
  }

  /** The client spoke HTTPS: to us (TLS), or through trusted proxies to the first of them. */
  get secure(): boolean {
    return this.forwarded.protocol === 'https';
  }

  /** The host the client asked for: Host (or an absolute-form target's authority), or through trusted proxies
   * Forwarded host= / X-Forwarded-Host. Port included when sent. */
  get host(): string | undefined {
    return this.forwarded.host;
  }

  private get forwarded(): Forwarding {
    if (this.forwarding === null) {
      const origin = this.origin;
      const own = { ip: origin.remoteAddress(), protocol: origin.encrypted?.() === true ? 'https' : 'http', host: authorityOf(this.target) ?? this.header('host') };
      this.forwarding = resolveForwarding(own, (name) => this.header(name), origin.trustProxy ?? null);
    }
    return this.forwarding;
  }

  /** A node:http-compatible view (method, url, lower-case headers, socket), for libraries that take an
   * IncomingMessage to complete an upgrade: `wss.handleUpgrade(req.node, socket, head, cb)`. */
  get node(): NodeRequestView {
    return { method: this.method, url: this.target, httpVersion: this.httpVersion, headers: this.headers, rawHeaders: this.rawHeaders, socket: this.origin.rawSocket?.() ?? null };
  }

  /** Aborted when the client goes away before the response is done: pass it to fetch, timers, queries. */
  get signal(): AbortSignal {
    if (this.abort === null) {
      this.abort = new AbortController();
      if (this.abortReason !== undefined) this.abort.abort(this.abortReason);
    }
    return this.abort.signal;
  }

  /** @internal The connection closed before the response was done. */
  abortWith(reason: unknown): void {
    this.bodyStream?.fail(reason);
    if (this.abortReason !== undefined) return;
    this.abortReason = reason ?? new Error('aborted');
    if (this.abort !== null) this.abort.abort(this.abortReason);
  }
}

/** The authority of an absolute-form target (it stands for Host, RFC 9112 §3.2.2), else undefined. */
function authorityOf(target: string): string | undefined {
  const scheme = target.indexOf('://');
  if (scheme < 0 || target.charCodeAt(0) === 0x2f) return undefined;
  let end = scheme + 3;
  while (end < target.length && !'/?#'.includes(target[end] as string)) end++;
  return target.slice(scheme + 3, end);
}

/** The path part of a request target. */
export function pathOf(target: string): string {
  let start = 0;
  if (target.charCodeAt(0) !== 0x2f /* / */) {
    if (target === '*') return '*';
    const scheme = target.indexOf('://');
    if (scheme < 0) return target;
    start = scheme + 3;
    while (start < target.length) {
      const c = target.charCodeAt(start);
      if (c === 0x2f || c === 0x3f || c === 0x23) break;
      start++;
    }
    if (start === target.length || target.charCodeAt(start) !== 0x2f) return '/';
  }
  let end = start;
  while (end < target.length) {
    const c = target.charCodeAt(end);
    if (c === 0x3f /* ? */ || c === 0x23 /* # */) break;
    end++;
  }
  return start === 0 && end === target.length ? target : target.slice(start, end);
}
