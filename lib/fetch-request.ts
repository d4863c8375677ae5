// A web (WHATWG fetch) Request over an h1wire Request, made lazily: the URL string, the Headers object and the
// body stream are built only when the app touches them. The object is a Request (`instanceof Request` holds, its
// prototype chain reaches Request.prototype) whose accessors read h1wire's request; anything rarer (clone(),
// formData(), cache, mode, …) builds the real Request once and delegates to it.
//
// The head is already parsed and checked by h1wire (Host is valid, the target is origin-, absolute- or
// asterisk-form): the URL is the scheme, Host and the target joined, parsed only when not already in the form
// fetch serializes (fetch-url.ts).
import { urlOf } from './fetch-url.js';
import type { Request as H1Request } from './request.js';

const WebRequest = globalThis.Request;

/** A web ReadableStream over the request body, pulled one chunk at a time: h1wire reads the socket only as fast
 * as the app reads this stream (the body's own high-water mark applies), and cancelling it discards the rest. */
export function bodyStream(req: H1Request): ReadableStream<Uint8Array> {
  let iterator: AsyncIterator<Buffer> | null = null;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        iterator ??= req.body[Symbol.asyncIterator]();
        const step = await iterator.next();
        if (step.done === true) controller.close();
        else controller.enqueue(step.value);
      },
      cancel() {
        iterator ??= req.body[Symbol.asyncIterator]();
        const done = iterator.return?.();
        if (done !== undefined) Promise.resolve(done).catch(() => {});
      },
    },
    { highWaterMark: 0 },
  );
}

/** Whether the web Request has a body (else `body` is null): RFC 9112 §6, "the presence of a message body in a
 * request is signaled by a Content-Length or Transfer-Encoding header field", so `Content-Length: 0` is an
 * empty body (a stream that ends at once, as on node-server) and a request with neither has none. Never for
 * GET and HEAD, which a web Request cannot carry a body with. */
function hasBody(req: H1Request): boolean {
  if (req.method === 'GET' || req.method === 'HEAD') return false;
  return req.header('content-length') !== undefined || req.header('transfer-encoding') !== undefined;
}

function toArrayBuffer(bytes: Buffer): ArrayBuffer {
  const buffer = bytes.buffer as ArrayBuffer;
  if (bytes.byteOffset === 0 && bytes.byteLength === buffer.byteLength) return buffer;
  return buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
}

/** Fetch's "UTF-8 decode" of a body (text(), json()): a leading byte order mark is dropped, not kept as U+FEFF
 * (which JSON.parse refuses); invalid sequences become U+FFFD, as Buffer's decoder does too. */
export function utf8Text(bytes: Buffer): string {
  const bom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  return bytes.toString('utf8', bom ? 3 : 0);
}

/** The body's MIME type as fetch gives it to blob(): Content-Type parsed and serialized (`Text/Plain; a="b"` →
 * `text/plain;a=b`, "" when it is no MIME type). undici's own parser does it, on a body-less Request. */
function mimeTypeOf(contentType: string): Promise<string> {
  return new WebRequest('http://h1wire.invalid/', { headers: { 'content-type': contentType } }).blob().then((blob) => blob.type);
}

const H1 = Symbol('h1wire.request');
const URL_KEY = Symbol('url');
const HEADERS = Symbol('headers');
const REAL = Symbol('real');
const USED = Symbol('used');
const DEFAULT_HOST = Symbol('defaultHost');

interface LazyFields {
  [H1]: H1Request;
  [DEFAULT_HOST]: string;
  [URL_KEY]: string | undefined;
  [HEADERS]: Headers | undefined;
  [REAL]: Request | undefined;
  [USED]: boolean;
}
type Lazy = Request & LazyFields;

function real(self: Lazy): Request {
  let request = self[REAL];
  if (request === undefined) {
    const req = self[H1];
    // A body already read through text()/json()/… is gone: the real Request gets none.
    const body = hasBody(req) && !self[USED] ? bodyStream(req) : null;
    const init: RequestInit & { duplex?: 'half' } = { method: req.method, headers: self.headers, signal: req.signal };
    if (body !== null) {
      init.body = body;
      init.duplex = 'half';
    }
    request = new WebRequest(self.url, init);
    self[REAL] = request;
  }
  return request;
}

/** The whole body through h1wire's collector (no stream, no promise per chunk), once. */
function readBody(self: Lazy): Promise<Buffer> {
  if (self[REAL] !== undefined) return self[REAL].arrayBuffer().then((b) => Buffer.from(b));
  if (self[USED]) return Promise.reject(new TypeError('Body is unusable: Body has already been read'));
  self[USED] = true;
  return hasBody(self[H1]) ? self[H1].body.bytes() : Promise.resolve(Buffer.alloc(0));
}

const proto = {
  get method(): string {
    return (this as unknown as Lazy)[H1].method;
  },
  get url(): string {
    const self = this as unknown as Lazy;
    return (self[URL_KEY] ??= urlOf(self[H1], self[DEFAULT_HOST]));
  },
  get headers(): Headers {
    const self = this as unknown as Lazy;
    let headers = self[HEADERS];
    if (headers === undefined) {
      headers = new Headers();
      const raw = self[H1].rawHeaders;
      for (let i = 0; i < raw.length; i += 2) headers.append(raw[i] as string, raw[i + 1] as string);
      self[HEADERS] = headers;
    }
    return headers;
  },
  get signal(): AbortSignal {
    return (this as unknown as Lazy)[H1].signal;
  },
  get body(): ReadableStream<Uint8Array> | null {
    const self = this as unknown as Lazy;
    if (self[REAL] === undefined && !hasBody(self[H1])) return null;
    return real(self).body;
  },
  get bodyUsed(): boolean {
    const self = this as unknown as Lazy;
    return self[REAL] !== undefined ? self[REAL].bodyUsed : self[USED];
  },
  arrayBuffer(): Promise<ArrayBuffer> {
    return readBody(this as unknown as Lazy).then(toArrayBuffer);
  },
  bytes(): Promise<Uint8Array> {
    return readBody(this as unknown as Lazy).then((b) => new Uint8Array(toArrayBuffer(b)));
  },
  text(): Promise<string> {
    return readBody(this as unknown as Lazy).then(utf8Text);
  },
  json(): Promise<unknown> {
    return readBody(this as unknown as Lazy).then((b) => JSON.parse(utf8Text(b)));
  },
  blob(): Promise<Blob> {
    const self = this as unknown as Lazy;
    // Every Content-Type field, combined as fetch combines them.
    const type = self[H1].header('content-type') === undefined ? Promise.resolve('') : mimeTypeOf(self.headers.get('content-type') as string);
    return Promise.all([readBody(self), type]).then(([b, t]) => new Blob([b], { type: t }));
  },
  formData(): Promise<FormData> {
    return real(this as unknown as Lazy).formData();
  },
  clone(): Request {
    return real(this as unknown as Lazy).clone();
  },
};

// The rest of Request's accessors come from the real Request (they are rarely read).
for (const key of ['cache', 'credentials', 'destination', 'duplex', 'integrity', 'mode', 'redirect', 'referrer', 'referrerPolicy', 'keepalive']) {
  Object.defineProperty(proto, key, {
    get(this: Lazy) {
      return (real(this) as unknown as Record<string, unknown>)[key];
    },
  });
}
Object.defineProperty(proto, Symbol.for('nodejs.util.inspect.custom'), {
  value(this: Lazy) {
    return `Request (h1wire) ${this.method} ${this.url}`;
  },
});
Object.setPrototypeOf(proto, WebRequest.prototype);

/**
 * What `new Request(input, init)` may build on when `input` is one of these lazy requests: undici's constructor
 * reads its input's internal state, which only a real Request has, so it gets the real one (built now, taking
 * over the body stream). A body already read is gone, and undici refuses such an input unless `init` brings a
 * body of its own. Any other input is returned as it is.
 */
export function requestInput(input: unknown, replacesBody: boolean): unknown {
  if (typeof input !== 'object' || input === null || !(H1 in input)) return input;
  const self = input as Lazy;
  if (self[REAL] === undefined && self[USED] && !replacesBody) {
    throw new TypeError('Cannot construct a Request with a Request object that has already been used.');
  }
  return real(self);
}

/** The web Request for an h1wire request. `defaultHost` stands in when an HTTP/1.0 request has no Host. */
export function toWebRequest(req: H1Request, defaultHost = 'localhost'): Request {
  const self = Object.create(proto) as Lazy;
  self[H1] = req;
  self[DEFAULT_HOST] = defaultHost;
  self[URL_KEY] = undefined;
  self[HEADERS] = undefined;
  self[REAL] = undefined;
  self[USED] = false;
  return self;
}
