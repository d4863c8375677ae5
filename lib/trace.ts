// `trace: true`: an annotated wire log, one line per stage, for people learning what HTTP/1.1 puts on the
// wire. Each line starts with the connection (or connection.request) id and the stage's name. It goes to
// stderr or a stream you pass, never into a response. Credentials in heads are redacted unless asked for.
import type { Writable } from 'node:stream';
import type { Request } from './request.js';
import type { StageEvents, StageListener, StageName } from './stages.js';

/** Header fields whose values are credentials: a trace shows `[redacted N bytes]` in their place. */
export const CREDENTIAL_HEADERS: readonly string[] = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie'];

/** Fields whose value starts with an authentication scheme (RFC 9110 §11.4), which stays visible. */
const SCHEME_FIRST = new Set(['authorization', 'proxy-authorization']);

export interface TraceOptions {
  /** Where the lines go (default: stderr). */
  stream?: Writable;
  /** More header fields whose values are credentials (`'x-api-key'`), redacted like CREDENTIAL_HEADERS. */
  redact?: readonly string[];
  /** Show credential values in full: only for a local server you are learning with (default false). */
  showCredentials?: boolean;
}

/** The `trace` server option: true for stderr, a stream, or TraceOptions. */
export type TraceOption = boolean | Writable | TraceOptions;

function show(text: string): string {
  // Make CR and LF visible: the point is to see exactly what was on the wire.
  return text.replace(/\r\n/g, '␍␊ ').trimEnd();
}

/**
 * A head ("start line\r\nName: value\r\n…") with the values of the fields in `names` (lower case) replaced by
 * `[redacted N bytes]`; an Authorization keeps its scheme (`Bearer [redacted 12 bytes]`), so a learner still
 * sees which kind of credentials went by.
 */
export function redactHead(head: string, names: ReadonlySet<string>): string {
  if (names.size === 0) return head;
  const lines = head.split('\r\n');
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).toLowerCase();
    if (!names.has(name)) continue;
    let value = line.slice(colon + 1).replace(/^[ \t]+/, '');
    let scheme = '';
    const space = value.indexOf(' ');
    if (SCHEME_FIRST.has(name) && space > 0) {
      scheme = `${value.slice(0, space)} `;
      value = value.slice(space + 1).replace(/^ +/, '');
    }
    lines[i] = `${line.slice(0, colon)}: ${scheme}[redacted ${value.length} bytes]`;
  }
  return lines.join('\r\n');
}

function isStream(value: unknown): value is Writable {
  return typeof (value as { write?: unknown }).write === 'function';
}

/** The tracer the `trace` option asks for, or null. Throws a TypeError on an option it cannot use. */
export function createTracer(option: TraceOption | undefined): Tracer | null {
  if (option === undefined || option === false) return null;
  if (option === true) return new Tracer(process.stderr);
  if (typeof option !== 'object' || option === null) throw new TypeError(`option trace must be a boolean, a stream or an object, got ${String(option)}`);
  if (isStream(option)) return new Tracer(option);
  const { stream, redact = [], showCredentials = false } = option;
  if (stream !== undefined && !isStream(stream)) throw new TypeError('option trace.stream must be a writable stream');
  if (!Array.isArray(redact) || !redact.every((name) => typeof name === 'string')) {
    throw new TypeError('option trace.redact must be a list of header names');
  }
  const names = showCredentials === true ? [] : [...CREDENTIAL_HEADERS, ...redact.map((name) => name.toLowerCase())];
  return new Tracer(stream ?? process.stderr, names);
}

function ms(value: number): string {
  return `${value.toFixed(3)}ms`;
}

/** The request's id ("connection.request"), else the connection's, else "-". */
function requestId(request: Request | null, connection?: number): string {
  return request?.id ?? String(connection ?? '-');
}

/** One line per stage, from its event (without the newline). */
const LINES: { readonly [S in StageName]: (event: StageEvents[S], redacted: ReadonlySet<string>) => string } = {
  accept: (e) => `${e.connection} accept   from ${e.remoteAddress}:${e.remotePort}`,
  parse: (e, redacted) => `${requestId(e.request)} parse    ${show(redactHead(e.head, redacted))}`,
  handle: (e) =>
    `${requestId(e.request)} handle   ${ms(e.durationMs)}${e.error ? ` threw ${String((e.error as Error)?.message ?? e.error)}` : ''}`,
  serialize: (e) =>
    `${requestId(e.request)} serialize ${e.serializer || '(none)'} ${e.bytes === -1 ? 'stream' : `${e.bytes} bytes`} ${ms(e.durationMs)}`,
  frame: (e, redacted) => `${requestId(e.request)} frame    ${e.framing} ${show(redactHead(e.head, redacted))}`,
  write: (e) => `${e.connection} write    ${e.bytes} bytes in ${e.writes} piece(s)`,
  drain: (e) => `${e.connection} drain    after ${ms(e.waitedMs)} blocked`,
  finish: (e) => `${requestId(e.request)} finish   ${e.status} ${e.bodyBytes} body bytes, ${e.keepAlive ? 'keep-alive' : 'close'}`,
  idle: (e) => `${e.connection} idle     after ${e.requests} request(s)`,
  close: (e) => `${e.connection} close    ${e.reason} (${e.requests} requests, ${e.bytesIn} bytes in, ${e.bytesOut} out)`,
  error: (e) => {
    const error = e.error as { code?: string; message?: string } | undefined;
    return `${requestId(e.request, e.connection)} error    ${error?.code ?? ''} ${error?.message ?? String(e.error)}`;
  },
};

export class Tracer implements StageListener {
  private readonly out: Writable;
  private readonly redacted: ReadonlySet<string>;
  // A trace must never hold the server's memory hostage: while the stream is full, lines are counted and
  // dropped, and the count is written once it drains.
  private full = false;
  private dropped = 0;

  /** `redact`: header names (lower case) whose values never reach the trace; by default the credentials. */
  constructor(out: Writable, redact: readonly string[] = CREDENTIAL_HEADERS) {
    this.out = out;
    this.redacted = new Set(redact);
  }

  private write(line: string): void {
    if (this.full) {
      this.dropped++;
      return;
    }
    if (!this.out.write(line)) {
      this.full = true;
      this.out.once('drain', () => {
        this.full = false;
        const dropped = this.dropped;
        this.dropped = 0;
        if (dropped > 0) this.write(`- trace  ${dropped} line(s) dropped while the trace stream was full\n`);
      });
    }
  }

  event<S extends StageName>(stage: S, event: StageEvents[S]): void {
    this.write(`${LINES[stage](event, this.redacted)}\n`);
  }
}
