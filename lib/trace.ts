// `trace: true`: an annotated wire log, one line per stage, for people learning what HTTP/1.1 puts on the
// wire. Each line starts with the connection (or connection.request) id and the stage's name. It goes to
// stderr or a stream you pass, never into a response.
import type { Writable } from 'node:stream';
import type { StageListener, StageName } from './stages.js';

type Data = Record<string, unknown>;

function show(text: string): string {
  // Make CR and LF visible: the point is to see exactly what was on the wire.
  return text.replace(/\r\n/g, '␍␊ ').trimEnd();
}

function ms(value: unknown): string {
  return typeof value === 'number' ? `${value.toFixed(3)}ms` : '?';
}

function requestId(data: Data): string {
  const request = data.request as { id?: string } | null | undefined;
  return request?.id ?? String(data.connection ?? '-');
}

export class Tracer implements StageListener {
  private readonly out: Writable;
  // A trace must never hold the server's memory hostage: while the stream is full, lines are counted and
  // dropped, and the count is written once it drains.
  private full = false;
  private dropped = 0;

  constructor(out: Writable) {
    this.out = out;
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

  event(stage: StageName, data: object): void {
    const d = data as Data;
    let line: string;
    switch (stage) {
      case 'accept':
        line = `${d.connection} accept   from ${d.remoteAddress}:${d.remotePort}`;
        break;
      case 'parse':
        line = `${requestId(d)} parse    ${show(String(d.head))}`;
        break;
      case 'handle':
        line = `${requestId(d)} handle   ${ms(d.durationMs)}${d.error ? ` threw ${String((d.error as Error)?.message ?? d.error)}` : ''}`;
        break;
      case 'serialize':
        line = `${requestId(d)} serialize ${d.serializer || '(none)'} ${d.bytes === -1 ? 'stream' : `${d.bytes} bytes`} ${ms(d.durationMs)}`;
        break;
      case 'frame':
        line = `${requestId(d)} frame    ${d.framing} ${show(String(d.head))}`;
        break;
      case 'write':
        line = `${d.connection} write    ${d.bytes} bytes in ${d.writes} piece(s)`;
        break;
      case 'drain':
        line = `${d.connection} drain    after ${ms(d.waitedMs)} blocked`;
        break;
      case 'finish':
        line = `${requestId(d)} finish   ${d.status} ${d.bodyBytes} body bytes, ${d.keepAlive ? 'keep-alive' : 'close'}`;
        break;
      case 'idle':
        line = `${d.connection} idle     after ${d.requests} request(s)`;
        break;
      case 'close':
        line = `${d.connection} close    ${d.reason} (${d.requests} requests, ${d.bytesIn} bytes in, ${d.bytesOut} out)`;
        break;
      case 'error': {
        const error = d.error as { code?: string; message?: string } | undefined;
        line = `${requestId(d)} error    ${error?.code ?? ''} ${error?.message ?? String(d.error)}`;
        break;
      }
    }
    this.write(`${line}\n`);
  }
}
