// The light Response, installed as the global one by fetchHandler unless `overrideGlobalResponse: false`.
// Building an undici Response costs about 8-10 µs (its body becomes a ReadableStream at once), more than the rest
// of a small request. This one keeps a string, bytes or null body and its init as they are (checked and copied
// as undici does), and fetch-response.ts reads them without any stream; any other use (body, clone(), text(), a
// stream or Blob body, …) builds the real Response once and delegates to it.
// `instanceof Response` holds both ways, as it must once this class stands in for the global one.

import * as nodeStream from 'node:stream';
import { TOKEN } from './frame.js';

// In node:stream since Node 16.8 (web streams too), not in @types/node 20.
const isDisturbed = (nodeStream as unknown as { isDisturbed(stream: ReadableStream): boolean }).isDisturbed;

const GlobalResponse = globalThis.Response;
/** The global Response as it was before any override (undici's), for code that must build the real one. */
export const UndiciResponse: typeof Response = GlobalResponse;
const STATE = Symbol('h1wire.lightResponse');
const TEXT_TYPE = 'text/plain;charset=UTF-8'; // what undici gives a string body

type HeadersLike = ConstructorParameters<typeof Headers>[0];

interface LightState {
  body: string | Uint8Array | null;
  status: number;
  statusText: string;
  /** The response's own copy of the init's headers (a record, pairs or a Headers), or a live Headers once
   * asked for. */
  headers: HeadersLike | Headers | undefined;
  /** For a null body copied from another Response (the HEAD idiom, `new Response(null, getResponse)`, as Hono
   * answers HEAD): that one's body length in bytes when it was in memory, else -1. A HEAD answer states it. */
  lengthHint: number;
  /** The stream `body` came from when this response was made from another's (see handedOut), until this one's
   * body is sent or read: both share it, as with undici, so whoever reads it first has it. */
  source: ReadableStream | null;
  real: Response | undefined;
}

interface ResponseInitLike {
  status?: number;
  statusText?: string;
  headers?: HeadersLike;
}

/** What fetch-response.ts needs of a light response that was never made real (and whose shared stream, if it
 * has one, is still whole), or null. */
export function lightParts(value: unknown): LightState | null {
  const state = (value as { [STATE]?: LightState } | null)?.[STATE];
  if (state === undefined || state.real !== undefined) return null;
  return state.source === null || isWhole(state.source) ? state : null;
}

/** The light response's content, about to be sent or read: a shared stream is this response's now (locked, so
 * that the response it came from cannot read it too). */
export function claimBody(state: LightState): void {
  if (state.source !== null) {
    state.source.getReader();
    state.source = null;
  }
}

/** The default Content-Type undici would give the body, or null. */
export function defaultType(state: LightState): string | null {
  return typeof state.body === 'string' ? TEXT_TYPE : null;
}

function real(self: LightResponse): Response {
  const state = self[STATE];
  if (state.real === undefined) {
    // A shared stream read by someone else first: undici's Response over it (which refuses a used stream).
    const source = state.source;
    const body = source === null || isWhole(source) ? state.body : source;
    if (body !== source) claimBody(state);
    state.real = new GlobalResponse(body, { status: state.status, statusText: state.statusText, headers: state.headers as HeadersLike });
  }
  return state.real;
}

function isPlainInit(init: unknown): init is ResponseInitLike | undefined {
  return init === undefined || (typeof init === 'object' && init !== null && !(init instanceof GlobalResponse));
}

/** Statuses whose response has no content (Fetch's "null body status"): undici refuses a body with them. */
function isNullBodyStatus(status: number): boolean {
  return status === 101 || status === 103 || status === 204 || status === 205 || status === 304;
}

function byteLengthOf(body: string | Uint8Array): number {
  return typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.byteLength;
}

// RFC 9110 field names; values as undici keeps them (no NUL, CR, LF, no leading or trailing space or tab, which
// undici strips) and as h1wire sends them. Anything else goes to the real constructor, which throws or normalises.
const KEPT_VALUE = /^(?:[\x21-\x7e\x80-\xff](?:[\t\x20-\x7e\x80-\xff]*[\x21-\x7e\x80-\xff])?)?$/;

function keptField(name: unknown, value: unknown): value is string {
  return typeof name === 'string' && TOKEN.test(name) && typeof value === 'string' && KEPT_VALUE.test(value);
}

/**
 * The response's own copy of the init's headers, checked as undici checks them, or null when only the real
 * constructor will do. A copy, as undici makes one: an app that changes its Headers or record afterwards does
 * not change the response. A record stays a record and pairs stay pairs (cheap to copy and to send as given).
 */
function ownHeaders(given: unknown): HeadersLike | Headers | undefined | null {
  if (given === undefined) return undefined;
  if (given instanceof Headers) return new Headers(given);
  if (Array.isArray(given)) {
    const pairs: [string, string][] = [];
    for (const pair of given as unknown[]) {
      if (!Array.isArray(pair) || pair.length !== 2) return null;
      const value = typeof pair[1] === 'string' ? pair[1] : String(pair[1]);
      if (!keptField(pair[0], value)) return null;
      pairs.push([pair[0] as string, value]);
    }
    return pairs;
  }
  if (typeof given !== 'object' || given === null) return null;
  const proto = Object.getPrototypeOf(given);
  if (proto !== Object.prototype && proto !== null) return null;
  const record: Record<string, string> = {};
  for (const name of Object.keys(given)) {
    const raw = (given as Record<string, unknown>)[name];
    const value = typeof raw === 'string' ? raw : String(raw);
    if (!keptField(name, value)) return null;
    record[name] = value;
  }
  return record;
}

/** The light state for (body, init), or null when only the real Response will do: another body kind, or
 * anything invalid (the real constructor then throws as it should). */
function lightState(body: unknown, init: unknown): LightState | null {
  const stream = body instanceof ReadableStream ? body : null;
  const content = stream !== null ? fromHandedOut(stream) : inMemory(body);
  if (content === undefined) return null;
  let status: unknown;
  let statusText: unknown;
  let headers: HeadersLike | Headers | undefined | null;
  let lengthHint = -1;
  if (isPlainInit(init)) {
    status = init?.status ?? 200;
    statusText = init?.statusText ?? '';
    headers = ownHeaders(init?.headers);
    if (headers === null) return null;
  } else {
    // Another Response as the init: its status, statusText and a copy of its headers (default type included).
    const from = init as Response;
    status = from.status;
    statusText = from.statusText;
    headers = new Headers(from.headers);
    const source = lightParts(from);
    if (content === null && source !== null && source.body !== null) lengthHint = byteLengthOf(source.body);
  }
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599) return null;
  if (content !== null && isNullBodyStatus(status)) return null;
  if (typeof statusText !== 'string' || !REASON.test(statusText)) return null;
  return { body: content, status, statusText, headers, lengthHint, source: stream, real: undefined };
}

/** A string, bytes or no body, or undefined for any other kind. */
function inMemory(body: unknown): string | Uint8Array | null | undefined {
  if (body === undefined || body === null) return null;
  return typeof body === 'string' || body instanceof Uint8Array ? body : undefined;
}

/**
 * Streams that `body` handed out for a light response's content, with that content. Hono rebuilds a response as
 * `new Response(res.body, res)` when a header is set after the route ran (c.header() in a middleware after
 * next(), cors' Vary): made from such a stream, still whole (never read, not locked), the new response keeps
 * the content and stays light, rather than becoming a second undici Response read back through its stream.
 */
const handedOut = new WeakMap<ReadableStream, string | Uint8Array>();

function fromHandedOut(stream: ReadableStream): string | Uint8Array | undefined {
  const content = handedOut.get(stream);
  return content === undefined || !isWhole(stream) ? undefined : content;
}

/** Never read from, cancelled or locked. */
function isWhole(stream: ReadableStream): boolean {
  return !stream.locked && !isDisturbed(stream);
}

// Fetch's reason-phrase: no CR, LF or other control; undici throws for anything else.
const REASON = /^[\t\x20-\x7e\x80-\xff]*$/;

export class LightResponse {
  readonly [STATE]: LightState;

  static [Symbol.hasInstance](value: unknown): boolean {
    if (this === LightResponse) return value instanceof GlobalResponse || (typeof value === 'object' && value !== null && STATE in value);
    return Function.prototype[Symbol.hasInstance].call(this, value);
  }

  /** Response.json() as undici's, but light: a JSON string body, `application/json` unless the init says. */
  static json(data: unknown, init?: ResponseInitLike): Response {
    const text = JSON.stringify(data);
    if (text === undefined) throw new TypeError('Response.json: the data is not JSON serializable');
    let headers: HeadersLike | Headers = { 'content-type': 'application/json' };
    if (init?.headers !== undefined) {
      headers = new Headers(init.headers);
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    }
    return new LightResponse(text, { status: init?.status, statusText: init?.statusText, headers }) as unknown as Response;
  }

  /** Response.redirect() as undici's, but light: no body, a Location of the parsed absolute URL. */
  static redirect(url: string | URL, status = 302): Response {
    const location = new URL(url).href; // throws a TypeError for a relative or invalid URL, as undici does
    if (status !== 301 && status !== 302 && status !== 303 && status !== 307 && status !== 308) {
      throw new RangeError(`Response.redirect: invalid status ${status}`);
    }
    return new LightResponse(null, { status, headers: { location } }) as unknown as Response;
  }

  constructor(body?: unknown, init?: unknown) {
    const state = lightState(body, init);
    if (state !== null) this[STATE] = state;
    else {
      // Anything else (and anything invalid: the real constructor throws as it should) is real at once.
      const response = new GlobalResponse(body as BodyInit, init as ResponseInit);
      this[STATE] = { body: null, status: 0, statusText: '', headers: undefined, lengthHint: -1, source: null, real: response };
    }
  }

  get status(): number {
    const state = this[STATE];
    return state.real === undefined ? state.status : state.real.status;
  }

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  get statusText(): string {
    const state = this[STATE];
    return state.real === undefined ? state.statusText : state.real.statusText;
  }

  get headers(): Headers {
    const state = this[STATE];
    if (state.real !== undefined) return state.real.headers;
    if (!(state.headers instanceof Headers)) {
      const headers = new Headers(state.headers);
      const type = defaultType(state);
      if (type !== null && !headers.has('content-type')) headers.set('content-type', type);
      state.headers = headers;
    }
    return state.headers;
  }
}

type BodyInit = ConstructorParameters<typeof GlobalResponse>[0];

Object.defineProperty(LightResponse.prototype, 'body', {
  get(this: LightResponse) {
    const state = this[STATE];
    const content = state.real === undefined ? state.body : null;
    const body = real(this).body;
    if (content !== null && body !== null) handedOut.set(body, content);
    return body;
  },
});
Object.defineProperty(LightResponse.prototype, 'bodyUsed', {
  get(this: LightResponse) {
    const state = this[STATE];
    return state.real === undefined ? false : state.real.bodyUsed; // a light body is read only once made real
  },
});
for (const key of ['redirected', 'type', 'url']) {
  Object.defineProperty(LightResponse.prototype, key, {
    get(this: LightResponse) {
      return (real(this) as unknown as Record<string, unknown>)[key];
    },
  });
}
for (const key of ['arrayBuffer', 'blob', 'bytes', 'clone', 'formData', 'json', 'text']) {
  Object.defineProperty(LightResponse.prototype, key, {
    value(this: LightResponse) {
      return (real(this) as unknown as Record<string, () => unknown>)[key]!();
    },
  });
}
Object.setPrototypeOf(LightResponse.prototype, GlobalResponse.prototype);
Object.setPrototypeOf(LightResponse, GlobalResponse); // Response.json(), Response.redirect(), Response.error()

/** Makes `Response` in this process the light one (idempotent). */
export function installLightResponse(): void {
  if (globalThis.Response !== (LightResponse as unknown as typeof Response)) globalThis.Response = LightResponse as unknown as typeof Response;
}
