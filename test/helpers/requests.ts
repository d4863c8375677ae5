// Valid HTTP/1.1 requests as fast-check arbitraries, for the property tests and the fuzzer: methods, targets
// (origin-form with queries, absolute-form, `*` for OPTIONS), header sets with optional whitespace around
// values, bodies framed by Content-Length or chunked (sizes in either case, with leading zeros, with chunk
// extensions) and trailers; HTTP/1.0 requests; and pipelines of them where only the last may close.
//
// Each generated request knows what a handler must see: method, target, version, the raw header list (names
// as sent, values without their surrounding whitespace), the body bytes and the trailer fields.
import fc from 'fast-check';

export interface ChunkSpec {
  /** The body bytes this chunk carries (never empty: the last chunk is written by the encoder). */
  data: Buffer;
  /** The size as written: hex digits in some case, possibly with leading zeros. */
  size: string;
  /** Chunk extensions as written, e.g. `;a=1;b="x y"`. */
  ext: string;
}

export interface GenRequest {
  method: string;
  target: string;
  version: '1.0' | '1.1';
  /** Header lines in order: the name, the value as written (with whitespace), and the value a reader sees. */
  headers: { name: string; wire: string; value: string }[];
  framing: 'none' | 'length' | 'chunked';
  body: Buffer;
  chunks: ChunkSpec[];
  /** Extensions of the last chunk (`0;…`). */
  lastExt: string;
  trailers: { name: string; wire: string; value: string }[];
  /** The connection is kept after this request (HTTP/1.1 without close, HTTP/1.0 with keep-alive). */
  keepAlive: boolean;
  /** It says `Expect: 100-continue` (a `100 Continue` may come before its answer; never on HTTP/1.0). */
  expectContinue: boolean;
}

/** What the echo handler reports for a request. */
export interface SeenRequest {
  method: string;
  target: string;
  version: string;
  rawHeaders: string[];
  body: string; // base64
  trailers: string[];
}

// Names whose meaning would change the framing, the connection, or the answer; generated sets avoid them and
// the generator adds Host, Content-Length, Transfer-Encoding and Connection itself.
const RESERVED = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'proxy-connection',
  'keep-alive',
  'expect',
  'upgrade',
  'te',
  'trailer',
  'http2-settings',
]);

const TCHAR = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const ALPHA = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGIT = '0123456789';
const UNRESERVED = `${ALPHA}${DIGIT}-._~`;
const SUB_DELIMS = "!$&'()*+,;=";

function charsOf(set: string): fc.Arbitrary<string> {
  return fc.constantFrom(...set.split(''));
}

function stringOf(set: string | fc.Arbitrary<string>, minLength: number, maxLength: number): fc.Arbitrary<string> {
  const unit = typeof set === 'string' ? charsOf(set) : set;
  return fc.array(unit, { minLength, maxLength }).map((a) => a.join(''));
}

export const token = (maxLength = 16): fc.Arbitrary<string> => stringOf(TCHAR, 1, maxLength);

const PCT = fc.tuple(charsOf('0123456789ABCDEFabcdef'), charsOf('0123456789ABCDEFabcdef')).map(([a, b]) => `%${a}${b}`);
const PCHAR = fc.oneof({ weight: 8, arbitrary: charsOf(`${UNRESERVED}${SUB_DELIMS}:@`) }, { weight: 1, arbitrary: PCT });

const PATH = fc
  .array(stringOf(PCHAR, 0, 10), { minLength: 1, maxLength: 5 })
  .map((segments) => `/${segments.join('/')}`);
const QUERY = stringOf(fc.oneof({ weight: 6, arbitrary: PCHAR }, { weight: 1, arbitrary: charsOf('/?') }), 0, 24);

export const hostArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('localhost', 'example.com', '127.0.0.1', '[::1]'),
  fc.tuple(stringOf(`${ALPHA}${DIGIT}-`, 1, 12), fc.option(fc.integer({ min: 0, max: 65535 }), { nil: undefined })).map(
    ([name, port]) => (port === undefined ? name : `${name}:${port}`),
  ),
);

const originForm = fc.tuple(PATH, fc.option(QUERY, { nil: undefined })).map(([p, q]) => (q === undefined ? p : `${p}?${q}`));
const absoluteForm = fc
  .tuple(fc.constantFrom('http', 'https', 'HTTP'), hostArb.filter((h) => !h.startsWith('[')), originForm)
  .map(([scheme, host, rest]) => `${scheme}://${host}${rest}`);

/** VCHAR and obs-text (a field value's inner characters may also be SP and HTAB). */
const VCHAR_OBS = fc.oneof(
  { weight: 20, arbitrary: fc.integer({ min: 0x21, max: 0x7e }) },
  { weight: 1, arbitrary: fc.integer({ min: 0x80, max: 0xff }) },
).map((c) => String.fromCharCode(c));

/** A field value as a reader sees it: no leading or trailing whitespace, inner SP/HTAB allowed. */
export const fieldValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 1, arbitrary: fc.constant('') },
  {
    weight: 12,
    arbitrary: fc
      .tuple(VCHAR_OBS, stringOf(fc.oneof({ weight: 8, arbitrary: VCHAR_OBS }, { weight: 1, arbitrary: charsOf(' \t') }), 0, 30), VCHAR_OBS)
      .map(([a, mid, b]) => `${a}${mid}${b}`),
  },
  { weight: 3, arbitrary: VCHAR_OBS },
);

const OWS = fc.oneof({ weight: 6, arbitrary: fc.constant(' ') }, { weight: 2, arbitrary: fc.constant('') }, { weight: 1, arbitrary: stringOf(' \t', 1, 3) });

/** Any header name but the reserved ones. */
export const fieldName: fc.Arbitrary<string> = token(20).filter((n) => !RESERVED.has(n.toLowerCase()));

/** A header line: name, the value as written (with optional whitespace around it) and as read. */
export const fieldArb = fc.record({ name: fieldName, value: fieldValue, before: OWS, after: fc.oneof({ weight: 5, arbitrary: fc.constant('') }, { weight: 1, arbitrary: OWS }) }).map(
  ({ name, value, before, after }) => ({ name, wire: `${before}${value}${after}`, value }),
);

const METHODS_WITH_BODY = ['POST', 'PUT', 'PATCH', 'DELETE', 'GET', 'OPTIONS', 'PROPFIND', 'PROPPATCH', 'REPORT', 'SEARCH', 'QUERY', 'LOCK', 'MKCOL'];
const OTHER_METHODS = ['COPY', 'MOVE', 'UNLOCK', 'PURGE', 'LINK', 'UNLINK'];

/** A chunk-size as written: hex in either case, sometimes with leading zeros. */
function sizeText(size: number, upper: boolean, zeros: number): string {
  const hex = size.toString(16);
  return `${'0'.repeat(zeros)}${upper ? hex.toUpperCase() : hex}`;
}

const QDTEXT = fc
  .oneof(
    { weight: 10, arbitrary: fc.integer({ min: 0x23, max: 0x5b }) },
    { weight: 10, arbitrary: fc.integer({ min: 0x5d, max: 0x7e }) },
    { weight: 2, arbitrary: fc.constantFrom(0x20, 0x21, 0x09) },
  )
  .map((c) => String.fromCharCode(c));
const QUOTED = fc
  .array(fc.oneof({ weight: 8, arbitrary: QDTEXT }, { weight: 1, arbitrary: fc.constantFrom('\\"', '\\\\', '\\a') }), { maxLength: 12 })
  .map((parts) => `"${parts.join('')}"`);

/** Chunk extensions (RFC 9112 §7.1.1): `;name`, `;name=token`, `;name="quoted"`, without whitespace. */
export const chunkExt: fc.Arbitrary<string> = fc
  .array(
    fc.tuple(token(10), fc.oneof({ weight: 2, arbitrary: fc.constant('') }, { weight: 2, arbitrary: token(10).map((t) => `=${t}`) }, { weight: 1, arbitrary: QUOTED.map((q) => `=${q}`) })),
    { maxLength: 3 },
  )
  .map((list) => list.map(([n, v]) => `;${n}${v}`).join(''));

const bodyBytes = fc.oneof(
  { weight: 6, arbitrary: fc.uint8Array({ maxLength: 300 }) },
  { weight: 2, arbitrary: fc.uint8Array({ minLength: 300, maxLength: 4000 }) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 60_000, max: 140_000 }), fc.integer({ min: 0, max: 255 })).map(([n, b]) => new Uint8Array(n).fill(b)) },
);

export interface RequestOptions {
  /** Allow `Connection: close` (or an HTTP/1.0 request without keep-alive). */
  mayClose?: boolean;
  /** Include HEAD requests (their answers carry no body). */
  head?: boolean;
  /** Allow large bodies (tens of KiB and more). */
  large?: boolean;
}

export function requestArb(options: RequestOptions = {}): fc.Arbitrary<GenRequest> {
  const methods = [...METHODS_WITH_BODY, ...OTHER_METHODS, ...(options.head === true ? ['HEAD'] : [])];
  return fc
    .record({
      method: fc.constantFrom(...methods),
      form: fc.oneof({ weight: 12, arbitrary: fc.constant('origin') }, { weight: 2, arbitrary: fc.constant('absolute') }, { weight: 1, arbitrary: fc.constant('asterisk') }),
      origin: originForm,
      absolute: absoluteForm,
      http10: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
      host: hostArb,
      hostCase: fc.constantFrom('Host', 'host', 'HOST'),
      hostWire: fc.tuple(OWS, fc.oneof({ weight: 5, arbitrary: fc.constant('') }, { weight: 1, arbitrary: OWS })),
      fields: fc.array(fieldArb, { maxLength: 8 }),
      framing: fc.constantFrom('none', 'length', 'chunked'),
      body: options.large === false ? fc.uint8Array({ maxLength: 300 }) : bodyBytes,
      cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 }),
      sizeStyle: fc.array(fc.tuple(fc.boolean(), fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }) })), { minLength: 8, maxLength: 8 }),
      exts: fc.array(fc.oneof({ weight: 4, arbitrary: fc.constant('') }, { weight: 1, arbitrary: chunkExt }), { minLength: 8, maxLength: 8 }),
      lastExt: fc.oneof({ weight: 4, arbitrary: fc.constant('') }, { weight: 1, arbitrary: chunkExt }),
      trailers: fc.oneof({ weight: 3, arbitrary: fc.constant<{ name: string; wire: string; value: string }[]>([]) }, { weight: 1, arbitrary: fc.array(fieldArb, { minLength: 1, maxLength: 3 }) }),
      connection: fc.constantFrom('none', 'keep-alive', 'close'),
      connectionCase: fc.constantFrom('keep-alive', 'Keep-Alive', 'KEEP-ALIVE'),
      framingCase: fc.boolean(),
      // How the framing values are written: chunked in any case, lengths with leading zeros, OWS around them.
      codingCase: fc.constantFrom('chunked', 'Chunked', 'CHUNKED'),
      zeros: fc.oneof({ weight: 6, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom('0', '00', '0000') }),
      framingOws: fc.tuple(fc.constantFrom('', ' ', '  '), fc.constantFrom('', '', ' ')),
      positions: fc.array(fc.nat(), { minLength: 4, maxLength: 4 }),
      expectContinue: fc.oneof({ weight: 6, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
      expectCase: fc.constantFrom('100-continue', '100-Continue'),
    })
    .map((g) => {
      const method = g.method;
      let target = g.form === 'absolute' ? g.absolute : g.origin;
      if (g.form === 'asterisk' && method === 'OPTIONS') target = '*';
      const version: '1.0' | '1.1' = g.http10 ? '1.0' : '1.1';
      let framing = g.framing as GenRequest['framing'];
      if (version === '1.0' && framing === 'chunked') framing = 'length'; // TE in HTTP/1.0 is refused
      const body = framing === 'none' ? Buffer.alloc(0) : Buffer.from(g.body);
      const headers = [...g.fields];
      const insert = (line: { name: string; wire: string; value: string }, position: number): void => {
        headers.splice(position % (headers.length + 1), 0, line);
      };
      // HTTP/1.1 needs exactly one Host; HTTP/1.0 may have one.
      if (version === '1.1' || (g.positions[0] as number) % 2 === 0) {
        insert({ name: g.hostCase, wire: `${g.hostWire[0]}${g.host}${g.hostWire[1]}`, value: g.host }, g.positions[0] as number);
      }
      const chunks: ChunkSpec[] = [];
      if (framing === 'length') {
        const length = `${g.zeros}${body.length}`;
        insert({ name: g.framingCase ? 'Content-Length' : 'content-length', wire: `${g.framingOws[0]}${length}${g.framingOws[1]}`, value: length }, g.positions[1] as number);
      } else if (framing === 'chunked') {
        insert(
          { name: g.framingCase ? 'Transfer-Encoding' : 'transfer-encoding', wire: `${g.framingOws[0]}${g.codingCase}${g.framingOws[1]}`, value: g.codingCase },
          g.positions[1] as number,
        );
        const points = [...new Set(g.cuts.map((c) => Math.floor(c * body.length)))].filter((p) => p > 0 && p < body.length).sort((a, b) => a - b);
        let at = 0;
        for (const [i, end] of [...points, body.length].entries()) {
          if (end === at) continue;
          const [upper, zeros] = g.sizeStyle[i % 8] as [boolean, number];
          chunks.push({ data: body.subarray(at, end), size: sizeText(end - at, upper, zeros), ext: g.exts[i % 8] as string });
          at = end;
        }
      }
      let keepAlive = version === '1.1';
      if (options.mayClose === true && g.connection === 'close') {
        insert({ name: 'Connection', wire: ' close', value: 'close' }, g.positions[2] as number);
        keepAlive = false;
      } else if (version === '1.0' || g.connection === 'keep-alive') {
        if (version === '1.0' && options.mayClose === true && g.connection === 'none') {
          keepAlive = false; // HTTP/1.0 without keep-alive: the server closes after it
        } else {
          insert({ name: 'Connection', wire: ` ${g.connectionCase}`, value: g.connectionCase }, g.positions[2] as number);
          keepAlive = true;
        }
      }
      const expectContinue = g.expectContinue && framing !== 'none';
      if (expectContinue) insert({ name: 'Expect', wire: ` ${g.expectCase}`, value: g.expectCase }, g.positions[3] as number);
      return {
        method,
        target,
        version,
        headers,
        framing,
        body,
        chunks,
        lastExt: framing === 'chunked' ? g.lastExt : '',
        trailers: framing === 'chunked' ? g.trailers : [],
        keepAlive,
        expectContinue,
      };
    });
}

/** A pipeline of requests on one connection: every request but the last keeps the connection. */
export function pipelineArb(maxLength = 5, options: RequestOptions = {}): fc.Arbitrary<GenRequest[]> {
  return fc
    .tuple(fc.array(requestArb({ ...options, mayClose: false }), { minLength: 0, maxLength: maxLength - 1 }), requestArb({ ...options, mayClose: true }))
    .map(([kept, last]) => [...kept, last]);
}

/** The request's bytes on the wire. */
export function encodeRequest(req: GenRequest): Buffer {
  let head = `${req.method} ${req.target} HTTP/${req.version}\r\n`;
  for (const h of req.headers) head += `${h.name}:${h.wire}\r\n`;
  head += '\r\n';
  const parts: Buffer[] = [Buffer.from(head, 'latin1')];
  if (req.framing === 'length') parts.push(req.body);
  else if (req.framing === 'chunked') {
    for (const c of req.chunks) {
      parts.push(Buffer.from(`${c.size}${c.ext}\r\n`, 'latin1'), c.data, Buffer.from('\r\n', 'latin1'));
    }
    let tail = `0${req.lastExt}\r\n`;
    for (const t of req.trailers) tail += `${t.name}:${t.wire}\r\n`;
    parts.push(Buffer.from(`${tail}\r\n`, 'latin1'));
  }
  return Buffer.concat(parts);
}

export function encodePipeline(reqs: readonly GenRequest[]): Buffer {
  return Buffer.concat(reqs.map(encodeRequest));
}

/** What the echo handler must report for `req`. */
export function expectedSeen(req: GenRequest): SeenRequest {
  return {
    method: req.method,
    target: req.target,
    version: req.version,
    rawHeaders: req.headers.flatMap((h) => [h.name, h.value]),
    body: req.body.toString('base64'),
    trailers: req.trailers.flatMap((t) => [t.name, t.value]),
  };
}

/** Cuts `data` at the given fractions of its length (each cut is its own write). */
export function cutAt(data: Buffer, fractions: readonly number[]): Buffer[] {
  const points = [...new Set(fractions.map((f) => Math.floor(f * data.length)))].filter((p) => p > 0 && p < data.length).sort((a, b) => a - b);
  const out: Buffer[] = [];
  let at = 0;
  for (const p of [...points, data.length]) {
    out.push(data.subarray(at, p));
    at = p;
  }
  return out;
}

/** A short description of a request for failure messages: its bytes, escaped, shortened past `max`. */
export function show(data: Buffer, max = 2000): string {
  const text = JSON.stringify(data.toString('latin1'));
  return text.length <= max ? text : `${text.slice(0, max)}… (${data.length} bytes)`;
}
