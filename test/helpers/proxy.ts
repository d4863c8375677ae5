// PROXY protocol v2 headers for tests, built field by field (the parser under test is not used to make them).
import { isIPv4 } from 'node:net';

export interface V2Fields {
  /** 0 LOCAL, 1 PROXY. */
  command: number;
  /** Family << 4 | transport: 0x00 UNSPEC, 0x11 TCP4, 0x21 TCP6, 0x31 UNIX stream. */
  family: number;
  source?: string;
  destination?: string;
  sport?: number;
  dport?: number;
  tlvs?: [number, Buffer][];
  /** The whole block after the 16-byte head, as given (addresses and TLVs ignored). */
  raw?: Buffer;
}

const SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

function addressBytes(address: string): Buffer {
  if (isIPv4(address)) return Buffer.from(address.split('.').map(Number));
  // Expand "::" and a trailing dotted quad by hand.
  let text = address;
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (quad !== null) {
    const [a, b, c, d] = (quad[1] as string).split('.').map(Number) as [number, number, number, number];
    text = text.slice(0, -(quad[1] as string).length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const words = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  words.forEach((w, i) => out.writeUInt16BE(parseInt(w, 16), i * 2));
  return out;
}

export function v2(fields: V2Fields): Buffer {
  let block: Buffer;
  if (fields.raw !== undefined) {
    block = fields.raw;
  } else {
    const parts: Buffer[] = [];
    if (fields.source !== undefined && fields.destination !== undefined) {
      const ports = Buffer.alloc(4);
      ports.writeUInt16BE(fields.sport ?? 0, 0);
      ports.writeUInt16BE(fields.dport ?? 0, 2);
      parts.push(addressBytes(fields.source), addressBytes(fields.destination), ports);
    }
    for (const [type, value] of fields.tlvs ?? []) {
      const head = Buffer.alloc(3);
      head[0] = type;
      head.writeUInt16BE(value.length, 1);
      parts.push(head, value);
    }
    block = Buffer.concat(parts);
  }
  const head = Buffer.alloc(4);
  head[0] = 0x20 | fields.command;
  head[1] = fields.family;
  head.writeUInt16BE(block.length, 2);
  return Buffer.concat([SIGNATURE, head, block]);
}
