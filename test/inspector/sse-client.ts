// A raw Server-Sent Events client over one socket, for the inspector's tests: the exact bytes, and the events
// parsed from them in order.
import net from 'node:net';
import type { Batch } from '../../lib/inspector-feed.js';

export interface SseEvent {
  event: string;
  data: Batch & { dropped: number };
}

export class SseClient {
  readonly socket: net.Socket;
  raw = '';
  /** The response head, once it has come. */
  head = '';
  readonly events: SseEvent[] = [];
  private body = '';

  constructor(port: number, path = '/_wire/events') {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
    this.socket.setEncoding('latin1');
    this.socket.on('data', (text: string) => this.take(text));
  }

  private take(text: string): void {
    this.raw += text;
    if (this.head === '') {
      const end = this.raw.indexOf('\r\n\r\n');
      if (end < 0) return;
      this.head = this.raw.slice(0, end + 4);
      text = this.raw.slice(end + 4);
    }
    // Chunked framing: drop the size lines, keep the data.
    this.body += text;
    let blank: number;
    const plain = (): string => this.body.replace(/(^|\r\n)[0-9a-f]+\r\n/g, '');
    let stream = plain();
    while ((blank = stream.indexOf('\n\n')) >= 0) {
      const block = stream.slice(0, blank);
      stream = stream.slice(blank + 2);
      const name = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (name !== undefined && data !== undefined) {
        this.events.push({ event: name, data: JSON.parse(Buffer.from(data, 'latin1').toString()) });
      }
      this.body = stream;
    }
  }

  close(): void {
    this.socket.destroy();
  }
}
