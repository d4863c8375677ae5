// A strict HTTP/1.1 client-side parser for what a server sent: llhttp (the same WebAssembly build the server
// uses, through native-free/llhttp.ts) in RESPONSE mode with no lenient flag, so a malformed status line, a
// bad header byte, CL together with TE, two Content-Length values, a bad chunk, or any byte after a
// `Connection: close` response is an error rather than a guess. It also reports how each response was framed
// (none / length / chunked / close) so tests can check the framing RFC 9112 §6.3 demands.
//
// It also has a request-mode twin, `parseRequests`, used by the fuzzer as a reference for how many complete
// requests some bytes hold (and which of them are HEAD, whose answers carry no body).
import { LLHTTP, Llhttp, PARSER_TYPE, type LlhttpSink } from '../../native-free/llhttp.js';

export type Framing = 'none' | 'length' | 'chunked' | 'close';

export interface StrictResponse {
  status: number;
  reason: string;
  versionMajor: number;
  versionMinor: number;
  /** Header fields as sent (name, value with OWS trimmed), in order. */
  headers: [string, string][];
  body: Buffer;
  /** Trailer fields of a chunked body. */
  trailers: [string, string][];
  /** How the body was delimited, read from the head (RFC 9112 §6.3). */
  framing: Framing;
  /** llhttp's keep-alive verdict for this response. */
  keepAlive: boolean;
  /** Offsets of the whole response in the input. */
  start: number;
  end: number;
}

export interface StrictResult {
  responses: StrictResponse[];
  /** Final (non-1xx) responses. */
  finals: StrictResponse[];
  /** llhttp's error, or one of ours, when the bytes are not a clean sequence of responses. */
  error: string | null;
  /** A response had begun and was not complete at the end of the input. */
  partial: boolean;
}

export function headerOf(fields: readonly [string, string][], name: string): string | undefined {
  const lower = name.toLowerCase();
  return fields.find(([n]) => n.toLowerCase() === lower)?.[1];
}

export function headersNamed(fields: readonly [string, string][], name: string): string[] {
  const lower = name.toLowerCase();
  return fields.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v);
}

const FIELD = 1;
const VALUE = 2;

/** Collects spans into strings; a span that starts where the last one of the same kind ended continues it. */
class Fields {
  list: [string, string][] = [];
  private lastKind = 0;
  private lastEnd = -1;

  add(kind: number, text: string, at: number): void {
    const continues = kind === this.lastKind && at === this.lastEnd;
    this.lastKind = kind;
    this.lastEnd = at + text.length;
    if (continues) {
      const last = this.list[this.list.length - 1] as [string, string];
      if (kind === FIELD) last[0] += text;
      else last[1] += text;
    } else if (kind === FIELD) {
      this.list.push([text, '']);
    } else {
      const last = this.list[this.list.length - 1];
      if (last !== undefined) last[1] = text;
    }
  }

  trimmed(): [string, string][] {
    return this.list.map(([n, v]) => [n, v.replace(/[ \t]+$/, '')]);
  }
}

class ResponseSink implements LlhttpSink {
  parser!: Llhttp;
  input: Buffer = Buffer.alloc(0);
  responses: StrictResponse[] = [];
  finals = 0;
  inMessage = false;
  private isHead: (index: number) => boolean;
  private reason = '';
  private head = new Fields();
  private trailers = new Fields();
  private body: Buffer[] = [];
  private headersDone = false;
  current: StrictResponse | null = null;
  /** Where the next response starts (the end of the previous one). */
  start = 0;
  problem: string | null = null;

  constructor(isHead: (index: number) => boolean) {
    this.isHead = isHead;
  }

  onMessageBegin(): number {
    this.inMessage = true;
    this.reason = '';
    this.head = new Fields();
    this.trailers = new Fields();
    this.body = [];
    this.headersDone = false;
    this.current = null;
    return 0;
  }

  onUrl(): number {
    return 0;
  }

  onStatus(at: number, length: number): number {
    this.reason += this.input.toString('latin1', at, at + length);
    return 0;
  }

  onHeaderField(at: number, length: number): number {
    (this.headersDone ? this.trailers : this.head).add(FIELD, this.input.toString('latin1', at, at + length), at);
    return 0;
  }

  onHeaderValue(at: number, length: number): number {
    (this.headersDone ? this.trailers : this.head).add(VALUE, this.input.toString('latin1', at, at + length), at);
    return 0;
  }

  onHeadersComplete(statusCode: number, _upgrade: number, shouldKeepAlive: number): number {
    this.headersDone = true;
    const headers = this.head.trimmed();
    const interim = statusCode < 200;
    const head = !interim && this.isHead(this.finals);
    const te = headerOf(headers, 'transfer-encoding');
    let framing: Framing;
    if (interim || head || statusCode === 204 || statusCode === 304) framing = 'none';
    else if (te !== undefined) framing = /(^|,)\s*chunked\s*$/i.test(te) ? 'chunked' : 'close';
    else if (headerOf(headers, 'content-length') !== undefined) framing = 'length';
    else framing = 'close';
    this.current = {
      status: statusCode,
      reason: this.reason,
      versionMajor: this.parser.versionMajor,
      versionMinor: this.parser.versionMinor,
      headers,
      body: Buffer.alloc(0),
      trailers: [],
      framing,
      keepAlive: shouldKeepAlive === 1,
      start: this.start,
      end: -1,
    };
    if (statusCode === 101) {
      this.problem = '101 Switching Protocols';
      return LLHTTP.USER;
    }
    return head ? 1 : 0;
  }

  onBody(at: number, length: number): number {
    this.body.push(Buffer.from(this.input.subarray(at, at + length)));
    return 0;
  }

  onMessageComplete(): number {
    this.complete();
    // Pause, so that where this response ended is known (llhttp reports where it stopped).
    return LLHTTP.PAUSED;
  }

  /** Ends the current response; its end offset is filled in by the caller. */
  complete(): void {
    const res = this.current;
    if (res === null) return;
    res.body = Buffer.concat(this.body);
    res.trailers = this.trailers.trimmed();
    this.responses.push(res);
    if (res.status >= 200) this.finals++;
    this.current = null;
    this.inMessage = false;
  }
}

/**
 * Parses everything a server sent on one connection. `isHead(i)` says whether the i-th final response answers
 * a HEAD request (its body is skipped, as llhttp does when told so). `closed` says the connection has ended,
 * which completes a close-delimited body.
 */
export function parseStrict(bytes: Buffer, isHead: (index: number) => boolean = () => false, closed = true): StrictResult {
  const sink = new ResponseSink(isHead);
  const parser = new Llhttp(PARSER_TYPE.RESPONSE, sink);
  sink.parser = parser;
  sink.input = bytes;
  let error: string | null = null;
  let at = 0;
  try {
    while (at < bytes.length) {
      const ret = parser.execute(bytes, at, bytes.length);
      if (ret === LLHTTP.OK) break;
      if (ret === LLHTTP.PAUSED) {
        const done = sink.responses[sink.responses.length - 1] as StrictResponse;
        done.end = parser.errorOffset;
        at = done.end;
        sink.start = at;
        parser.resume();
        continue;
      }
      const name = Object.entries(LLHTTP).find(([, n]) => n === ret)?.[0] ?? String(ret);
      error = `${sink.problem ?? `${name}: ${parser.errorReason()}`} at byte ${parser.errorOffset}`;
      break;
    }
  } finally {
    parser.free();
  }
  let partial = sink.inMessage;
  if (partial && error === null && closed && sink.current !== null && sink.current.framing === 'close') {
    sink.complete(); // a close-delimited body ends with the connection
    (sink.responses[sink.responses.length - 1] as StrictResponse).end = bytes.length;
    partial = false;
  }
  const responses = sink.responses;
  return { responses, finals: responses.filter((r) => r.status >= 200), error, partial };
}

// ---- requests (the reference for the fuzzer) ----------------------------------------------------------------

export interface ReferenceRequest {
  method: string;
  target: string;
  versionMinor: number;
  keepAlive: boolean;
  headers: [string, string][];
  body: Buffer;
}

export interface ReferenceResult {
  /** Requests llhttp read whole, in order. */
  complete: ReferenceRequest[];
  /** Bytes after the last complete request (a request in progress, or where llhttp stopped). */
  leftover: number;
  /** llhttp stopped with this error (after the complete requests). */
  error: string | null;
  /** A request after the complete ones whose head was read whole (its body was not), or null. */
  pending: Omit<ReferenceRequest, 'body'> | null;
}

class RequestSink implements LlhttpSink {
  parser!: Llhttp;
  input: Buffer = Buffer.alloc(0);
  complete: ReferenceRequest[] = [];
  private target = '';
  private head = new Fields();
  private body: Buffer[] = [];
  current: Omit<ReferenceRequest, 'body'> | null = null;
  endOfLast = 0;

  onMessageBegin(): number {
    this.target = '';
    this.head = new Fields();
    this.body = [];
    this.current = null;
    return 0;
  }

  onUrl(at: number, length: number): number {
    this.target += this.input.toString('latin1', at, at + length);
    return 0;
  }

  onStatus(): number {
    return 0;
  }

  onHeaderField(at: number, length: number): number {
    if (this.current === null) this.head.add(FIELD, this.input.toString('latin1', at, at + length), at);
    return 0;
  }

  onHeaderValue(at: number, length: number): number {
    if (this.current === null) this.head.add(VALUE, this.input.toString('latin1', at, at + length), at);
    return 0;
  }

  onHeadersComplete(_status: number, _upgrade: number, shouldKeepAlive: number): number {
    this.current = {
      method: this.parser.method,
      target: this.target,
      versionMinor: this.parser.versionMinor,
      keepAlive: shouldKeepAlive === 1,
      headers: this.head.trimmed(),
    };
    return 0;
  }

  onBody(at: number, length: number): number {
    this.body.push(Buffer.from(this.input.subarray(at, at + length)));
    return 0;
  }

  onMessageComplete(): number {
    if (this.current !== null) this.complete.push({ ...this.current, body: Buffer.concat(this.body) });
    this.current = null;
    // Pause so that the end of this message is known (llhttp reports where it stopped).
    return LLHTTP.PAUSED;
  }
}

/** Parses request bytes the way the server's llhttp does (strict), as a reference for what was sent. */
export function parseRequests(bytes: Buffer): ReferenceResult {
  const sink = new RequestSink();
  const parser = new Llhttp(PARSER_TYPE.REQUEST, sink);
  sink.parser = parser;
  sink.input = bytes;
  let error: string | null = null;
  let at = 0;
  try {
    while (at < bytes.length) {
      const ret = parser.execute(bytes, at, bytes.length);
      if (ret === LLHTTP.OK) break;
      if (ret === LLHTTP.PAUSED || ret === LLHTTP.PAUSED_UPGRADE) {
        at = parser.errorOffset;
        sink.endOfLast = at;
        if (ret === LLHTTP.PAUSED) parser.resume();
        else parser.resumeAfterUpgrade();
        continue;
      }
      const name = Object.entries(LLHTTP).find(([, n]) => n === ret)?.[0] ?? String(ret);
      error = `${name}: ${parser.errorReason()}`;
      break;
    }
  } finally {
    parser.free();
  }
  return { complete: sink.complete, leftover: bytes.length - sink.endOfLast, error, pending: sink.current };
}
