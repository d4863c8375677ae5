// The fuzzer's reference for what a client sent: llhttp (the same WebAssembly build the server uses, through
// native-free/llhttp.ts) in REQUEST mode with no lenient flag, so it tells how many complete requests some
// bytes hold, how each one reads (and which are HEAD, whose answers carry no body), and where it stops.
import { LLHTTP, Llhttp, PARSER_TYPE, type LlhttpSink } from '../../native-free/llhttp.js';

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
