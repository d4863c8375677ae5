// The tests' one HTTP/1.1 response parser: strict and incremental. Bytes go in as they arrive, in any split
// (`push`); whole responses come out (`read`), each framed by its own head as RFC 9112 §6.3 says: no body for
// an answer to HEAD, a 1xx, 204 or 304; else chunked, Content-Length, or everything until the connection ends.
// It reads nothing leniently, since leniency is where a server bug hides: a line must end in CRLF (a bare LF or
// CR is an error), obs-fold is refused, a field name is a token with no space before its colon, a value has
// no control characters, a response has at most one Content-Length and never both it and Transfer-Encoding,
// the only transfer coding is chunked, chunk sizes are hex digits and every chunk ends in CRLF, a body that
// runs to the close must come with a response that says the connection closes, and no byte may follow a
// response after which the connection closes. Each error is a ResponseParseError with a code and the offset
// of the offending byte in the whole stream.
//
// Built on it: `parseResponses`, for a whole capture of what a server sent on one connection.

export type Framing = 'none' | 'length' | 'chunked' | 'close';

export interface Response {
  status: number;
  reason: string;
  /** "1.1" or "1.0". */
  version: string;
  /** Header fields as sent (name as spelled, value without its surrounding OWS), in order. */
  headers: [string, string][];
  /** Trailer fields of a chunked body, the same way. */
  trailers: [string, string][];
  /** How the body was delimited. */
  framing: Framing;
  /** The body (empty when the reader asked not to keep it). */
  body: Buffer;
  bodyBytes: number;
  /** The server closes the connection after this response (Connection: close, HTTP/1.0 without keep-alive, or
   * a body delimited by the close). */
  closes: boolean;
  /** Offsets of the whole response in the stream. */
  start: number;
  end: number;
}

export type ResponseErrorCode =
  /** The status line is not `HTTP-version SP 3DIGIT SP reason`. */
  | 'status-line'
  /** Not HTTP/1.0 or HTTP/1.1. */
  | 'version'
  /** A status code outside 100–599, or 101 (the connection would stop being HTTP/1.1). */
  | 'status'
  /** An LF without the CR before it. */
  | 'bare-lf'
  /** A CR not followed by LF. */
  | 'bare-cr'
  /** A field line that starts with whitespace (obsolete line folding). */
  | 'obs-fold'
  /** A field line that is not `token ":" OWS value OWS` with a valid value. */
  | 'field'
  /** The head (or a trailer section, or a chunk-size line) is larger than the parser accepts. */
  | 'too-large'
  /** Content-Length: more than one, not digits, or where no length may be. */
  | 'content-length'
  /** Transfer-Encoding: not exactly chunked, in HTTP/1.0, or together with Content-Length. */
  | 'transfer-encoding'
  /** A chunk-size line that is not hex digits with well-formed extensions. */
  | 'chunk-size'
  /** Chunk data not followed by CRLF. */
  | 'chunk-end'
  /** A body delimited by the close on a response that keeps the connection. */
  | 'close-delimited'
  /** A byte after a response after which the connection closes. */
  | 'after-close';

export class ResponseParseError extends Error {
  readonly code: ResponseErrorCode;
  /** Where in the stream the problem is. */
  readonly offset: number;
  constructor(code: ResponseErrorCode, message: string, offset: number) {
    super(`${message} (${code}, at byte ${offset})`);
    this.name = 'ResponseParseError';
    this.code = code;
    this.offset = offset;
  }
}

export interface ParserOptions {
  /** Largest head, and largest trailer section, in bytes (default 64 KiB). */
  maxHead?: number;
}

export interface ReadOptions {
  /** The (final) response being read answers a HEAD request: no body, whatever the head says. */
  head?: boolean;
  /** Keep the body in `body` (default true); `bodyBytes` counts it either way. */
  keepBody?: boolean;
  /** Called with each piece of the body as it is parsed. */
  onBody?: (chunk: Buffer) => void;
}

export function headerOf(fields: readonly [string, string][], name: string): string | undefined {
  const lower = name.toLowerCase();
  return fields.find(([n]) => n.toLowerCase() === lower)?.[1];
}

export function headersNamed(fields: readonly [string, string][], name: string): string[] {
  const lower = name.toLowerCase();
  return fields.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v);
}

const CR = 0x0d;
const LF = 0x0a;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A byte that may not stand in a field value or a reason phrase (neither HTAB, SP, VCHAR nor obs-text). */
const NOT_TEXT = /[^\t\x20-\x7e\x80-\xff]/;
const TOKEN_PART = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]+";
/** chunk-size [ chunk-ext ] (RFC 9112 §7.1.1): extensions are `;name` or `;name=token-or-quoted-string`. */
const CHUNK_LINE = new RegExp(`^([0-9A-Fa-f]+)((?:[ \\t]*;[ \\t]*${TOKEN_PART}(?:[ \\t]*=[ \\t]*(?:${TOKEN_PART}|"(?:[\\t\\x20\\x21\\x23-\\x5b\\x5d-\\x7e\\x80-\\xff]|\\\\[\\t\\x20-\\x7e\\x80-\\xff])*"))?)*)$`);
const MAX_CHUNK_LINE = 4096;
const HTTP_PREFIX = Buffer.from('HTTP/', 'latin1');

const S_HEAD = 0;
const S_LENGTH = 1;
const S_CHUNK_SIZE = 2;
const S_CHUNK_DATA = 3;
const S_CHUNK_END = 4;
const S_TRAILERS = 5;
const S_CLOSE = 6;
/** After a response that closes the connection: nothing may follow. */
const S_CLOSED = 7;

function tokens(values: readonly string[]): string[] {
  return values.flatMap((v) => v.split(',')).map((t) => t.trim().toLowerCase());
}

/** A strict incremental parser of the responses on one connection; see the top of this file. */
export class ResponseParser {
  private buf: Buffer = Buffer.alloc(0);
  /** Stream offset of buf[0]. */
  private base = 0;
  private state = S_HEAD;
  private ended = false;
  private failure: ResponseParseError | null = null;
  private readonly maxHead: number;
  /** Bytes of the head or trailer section read so far. */
  private sectionBytes = 0;
  private start = 0;
  private statusLine: { status: number; reason: string; version: string } | null = null;
  private fields: [string, string][] = [];
  private current: Response | null = null;
  private parts: Buffer[] = [];
  private remaining = 0;
  private keepBody = true;
  private onBody: ((chunk: Buffer) => void) | undefined = undefined;

  constructor(options: ParserOptions = {}) {
    this.maxHead = options.maxHead ?? 64 * 1024;
  }

  /** Adds bytes that arrived. */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
  }

  /** The connection ended: a body delimited by the close is complete. */
  end(): void {
    this.ended = true;
  }

  /** Bytes pushed and not yet parsed. */
  get buffered(): number {
    return this.buf.length;
  }

  /** Bytes parsed so far (the stream offset of the first byte not yet parsed). */
  get offset(): number {
    return this.base;
  }

  /** A response has begun and is not complete (a truncated one, if the connection has ended). */
  get partial(): boolean {
    if (this.state === S_CLOSED) return false;
    return this.state !== S_HEAD || this.statusLine !== null || this.buf.length > 0;
  }

  /** The error the parser stopped at, if it did. */
  get error(): ResponseParseError | null {
    return this.failure;
  }

  /**
   * Parses as far as the next complete response and returns it (1xx included), or null when more bytes are
   * needed. Throws a ResponseParseError at malformed bytes (and again on every later call). The options
   * apply to the response in progress: `head` is read when its head is complete, the body options as its
   * body arrives.
   */
  read(options: ReadOptions = {}): Response | null {
    if (this.failure !== null) throw this.failure;
    this.keepBody = options.keepBody !== false;
    this.onBody = options.onBody;
    try {
      return this.step(options.head === true);
    } catch (error) {
      if (error instanceof ResponseParseError) this.failure = error;
      throw error;
    }
  }

  private fail(code: ResponseErrorCode, message: string, at = this.base): never {
    throw new ResponseParseError(code, message, at);
  }

  private consume(n: number): void {
    this.buf = this.buf.subarray(n);
    this.base += n;
  }

  /**
   * The next CRLF-terminated line (latin1, without its CRLF), consumed; null when it has not all arrived.
   * `limit` bounds its length with the CRLF.
   */
  private line(limit: number, what: string): string | null {
    const lf = this.buf.indexOf(LF);
    const cr = this.buf.indexOf(CR);
    if (cr >= 0 && (lf < 0 ? cr + 1 < this.buf.length : cr < lf - 1)) this.fail('bare-cr', 'a CR not followed by LF', this.base + cr);
    if (lf < 0) {
      if (this.buf.length >= limit) this.fail('too-large', `${what} over ${limit} bytes`);
      return null;
    }
    if (lf === 0 || this.buf[lf - 1] !== CR) this.fail('bare-lf', 'an LF without CR', this.base + lf);
    if (lf + 1 > limit) this.fail('too-large', `${what} over ${limit} bytes`);
    const text = this.buf.toString('latin1', 0, lf - 1);
    this.consume(lf + 1);
    return text;
  }

  /** A field line of the head or the trailer section. */
  private field(line: string, at: number): [string, string] {
    if (line[0] === ' ' || line[0] === '\t') this.fail('obs-fold', `obsolete line folding: ${JSON.stringify(line.slice(0, 80))}`, at);
    const colon = line.indexOf(':');
    if (colon < 0) this.fail('field', `a field line without a colon: ${JSON.stringify(line.slice(0, 80))}`, at);
    const name = line.slice(0, colon);
    if (/[ \t]$/.test(name)) this.fail('field', `whitespace between a field name and its colon: ${JSON.stringify(name)}`, at + colon - 1);
    if (!TOKEN.test(name)) this.fail('field', `a field name that is not a token: ${JSON.stringify(name)}`, at);
    const value = line.slice(colon + 1);
    const bad = value.search(NOT_TEXT);
    if (bad >= 0) this.fail('field', `a control character in the value of ${name}`, at + colon + 1 + bad);
    return [name, value.replace(/^[ \t]+|[ \t]+$/g, '')];
  }

  private step(head: boolean): Response | null {
    for (;;) {
      switch (this.state) {
        case S_CLOSED:
          if (this.buf.length > 0) this.fail('after-close', 'bytes after a response after which the connection closes');
          return null;
        case S_HEAD:
        case S_TRAILERS: {
          if (this.state === S_HEAD && this.statusLine === null) {
            this.start = this.base;
            const seen = Math.min(this.buf.length, HTTP_PREFIX.length);
            if (!this.buf.subarray(0, seen).equals(HTTP_PREFIX.subarray(0, seen))) {
              this.fail('status-line', `a response that does not begin with HTTP/: ${JSON.stringify(this.buf.toString('latin1', 0, 40))}`);
            }
          }
          const at = this.base;
          const what = this.state === S_HEAD ? 'a response head' : 'a trailer section';
          const line = this.line(this.maxHead - this.sectionBytes, what);
          if (line === null) return null;
          this.sectionBytes += line.length + 2;
          if (this.state === S_HEAD && this.statusLine === null) {
            this.statusLine = this.parseStatusLine(line, at);
            continue;
          }
          if (line !== '') {
            const field = this.field(line, at);
            if (this.state === S_HEAD) this.fields.push(field);
            else (this.current as Response).trailers.push(field);
            continue;
          }
          if (this.state === S_TRAILERS) return this.finish();
          const done = this.headDone(head);
          if (done !== null) return done;
          continue;
        }
        case S_LENGTH:
        case S_CHUNK_DATA:
        case S_CLOSE: {
          if (this.buf.length === 0) {
            if (this.state === S_CLOSE && this.ended) return this.finish();
            return null;
          }
          const take = this.state === S_CLOSE ? this.buf.length : Math.min(this.remaining, this.buf.length);
          this.body(this.buf.subarray(0, take));
          this.consume(take);
          if (this.state === S_CLOSE) continue;
          this.remaining -= take;
          if (this.remaining > 0) return null;
          if (this.state === S_LENGTH) return this.finish();
          this.state = S_CHUNK_END;
          continue;
        }
        case S_CHUNK_END: {
          if (this.buf.length >= 1 && this.buf[0] !== CR) this.fail('chunk-end', 'chunk data not followed by CRLF');
          if (this.buf.length >= 2 && this.buf[1] !== LF) this.fail('chunk-end', 'chunk data not followed by CRLF', this.base + 1);
          if (this.buf.length < 2) return null;
          this.consume(2);
          this.state = S_CHUNK_SIZE;
          continue;
        }
        default: {
          // S_CHUNK_SIZE
          const at = this.base;
          const line = this.line(MAX_CHUNK_LINE, 'a chunk-size line');
          if (line === null) return null;
          const m = CHUNK_LINE.exec(line);
          if (m === null) this.fail('chunk-size', `a bad chunk-size line ${JSON.stringify(line.slice(0, 80))}`, at);
          const digits = (m[1] as string).replace(/^0+(?=.)/, '');
          if (digits.length > 12) this.fail('chunk-size', `a chunk size too large: ${m[1]}`, at);
          const size = parseInt(digits, 16);
          if (size === 0) {
            this.state = S_TRAILERS;
            this.sectionBytes = 0;
          } else {
            this.remaining = size;
            this.state = S_CHUNK_DATA;
          }
        }
      }
    }
  }

  private parseStatusLine(line: string, at: number): { status: number; reason: string; version: string } {
    const m = /^HTTP\/([0-9])\.([0-9]) /.exec(line);
    if (m === null) this.fail('status-line', `a bad status line ${JSON.stringify(line.slice(0, 80))}`, at);
    const version = `${m[1]}.${m[2]}`;
    if (version !== '1.1' && version !== '1.0') this.fail('version', `HTTP/${version} in a status line`, at + 5);
    const rest = line.slice(9);
    const code = /^([0-9]{3})( |$)/.exec(rest);
    if (code === null) this.fail('status', `a status code that is not three digits: ${JSON.stringify(rest.slice(0, 20))}`, at + 9);
    if (code[2] === '') this.fail('status-line', 'no SP after the status code', at + 12);
    const status = Number(code[1]);
    if (status < 100 || status > 599) this.fail('status', `status ${status} is outside 100–599`, at + 9);
    if (status === 101) this.fail('status', '101 Switching Protocols: the connection would stop being HTTP/1.1', at + 9);
    const reason = rest.slice(4);
    const bad = reason.search(NOT_TEXT);
    if (bad >= 0) this.fail('status-line', 'a control character in the reason phrase', at + 13 + bad);
    return { status, reason, version };
  }

  /** The head is complete: chooses the framing. Returns the response when it has no body. */
  private headDone(head: boolean): Response | null {
    const { status, reason, version } = this.statusLine as { status: number; reason: string; version: string };
    const headers = this.fields;
    const at = this.start;
    const lengths = headersNamed(headers, 'content-length');
    const codings = headersNamed(headers, 'transfer-encoding');
    const interim = status < 200;
    if (interim || status === 204) {
      // RFC 9110 §8.6, RFC 9112 §6.1: never in a 1xx or a 204.
      if (lengths.length > 0) this.fail('content-length', `Content-Length in a ${status}`, at);
      if (codings.length > 0) this.fail('transfer-encoding', `Transfer-Encoding in a ${status}`, at);
    }
    if (lengths.length > 0 && codings.length > 0) this.fail('transfer-encoding', 'both Content-Length and Transfer-Encoding', at);
    if (lengths.length > 1) this.fail('content-length', `${lengths.length} Content-Length fields`, at);
    const length = lengths[0];
    if (length !== undefined && !/^[0-9]{1,15}$/.test(length)) this.fail('content-length', `Content-Length ${JSON.stringify(length)}`, at);
    if (codings.length > 0) {
      if (version === '1.0') this.fail('transfer-encoding', 'Transfer-Encoding in an HTTP/1.0 response', at);
      const list = tokens(codings);
      if (list.length !== 1 || list[0] !== 'chunked') this.fail('transfer-encoding', `Transfer-Encoding ${JSON.stringify(codings.join(', '))}, not chunked`, at);
    }
    const connection = tokens(headersNamed(headers, 'connection'));
    let closes = connection.includes('close') || (version === '1.0' && !connection.includes('keep-alive'));
    let framing: Framing;
    if (interim || status === 204 || status === 304 || head) framing = 'none';
    else if (codings.length > 0) framing = 'chunked';
    else if (length !== undefined) framing = 'length';
    else framing = 'close';
    if (framing === 'close') {
      if (!closes) this.fail('close-delimited', 'a body delimited by the close in a response that keeps the connection', at);
      closes = true;
    }
    if (interim) closes = false;
    this.current = { status, reason, version, headers, trailers: [], framing, body: Buffer.alloc(0), bodyBytes: 0, closes, start: at, end: -1 };
    this.statusLine = null;
    this.fields = [];
    this.parts = [];
    if (framing === 'none') return this.finish();
    if (framing === 'length') {
      this.remaining = Number(length);
      if (this.remaining === 0) return this.finish();
      this.state = S_LENGTH;
    } else if (framing === 'chunked') this.state = S_CHUNK_SIZE;
    else this.state = S_CLOSE;
    return null;
  }

  private body(chunk: Buffer): void {
    (this.current as Response).bodyBytes += chunk.length;
    this.onBody?.(chunk);
    if (this.keepBody) this.parts.push(chunk);
  }

  private finish(): Response {
    const res = this.current as Response;
    res.body = Buffer.concat(this.parts);
    res.end = this.base;
    this.parts = [];
    this.current = null;
    this.sectionBytes = 0;
    this.state = res.closes ? S_CLOSED : S_HEAD;
    return res;
  }
}

export interface ParseResult {
  responses: Response[];
  /** The final (non-1xx) responses. */
  finals: Response[];
  /** Why parsing stopped before the end of the bytes, if it did (the responses before it stand). */
  error: string | null;
  /** A response had begun and was not complete at the end of the bytes. */
  partial: boolean;
  /** The bytes after the last complete response. */
  rest: Buffer;
}

/**
 * Parses everything a server sent on one connection. `isHead(i)` says whether the i-th final response answers
 * a HEAD request; `closed` says the connection has ended (which completes a body delimited by the close).
 */
export function parseResponses(bytes: Buffer, isHead: (index: number) => boolean = () => false, closed = true): ParseResult {
  const parser = new ResponseParser();
  parser.push(bytes);
  if (closed) parser.end();
  const responses: Response[] = [];
  const finals: Response[] = [];
  let error: string | null = null;
  try {
    for (let res = parser.read({ head: isHead(0) }); res !== null; res = parser.read({ head: isHead(finals.length) })) {
      responses.push(res);
      if (res.status >= 200) finals.push(res);
    }
  } catch (e) {
    if (!(e instanceof ResponseParseError)) throw e;
    error = e.message;
  }
  const done = responses[responses.length - 1]?.end ?? 0;
  return { responses, finals, error, partial: error === null && parser.partial, rest: bytes.subarray(done) };
}
