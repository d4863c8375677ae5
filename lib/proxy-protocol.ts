// The PROXY protocol (HAProxy, versions 1 and 2) as a pure parser: bytes in, a header (or "need more", or a
// typed error) out. The spec: https://www.haproxy.org/download/2.9/doc/proxy-protocol.txt. The socket side,
// which feeds this parser before any HTTP byte is read, is proxy-reader.ts.
import { isIPv4, isIPv6 } from 'node:net';

/** A v1 header line, CRLF included, is at most 107 bytes (the spec's own bound, for TCP6 at full length). */
export const PROXY_V1_MAX_LENGTH = 107;
/** v2: the fixed part (signature, version/command, family, length). */
export const PROXY_V2_HEADER_LENGTH = 16;
/** v2: bytes after the addresses (TLVs) we take. The protocol allows 64 KiB; HAProxy, AWS NLB and GCP send
 * well under 1 KiB, and every waiting connection holds its header in memory, so more is refused. */
export const PROXY_V2_MAX_TLV_BYTES = 4096;

const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
/** v2 address block sizes by family: INET (2 × 4 + 2 × 2), INET6 (2 × 16 + 2 × 2), UNIX (2 × 108). */
const V2_ADDRESS_BYTES = [0, 12, 36, 216] as const;

export type ProxyErrorCode =
  | 'H1W_PROXY_BAD_SIGNATURE'
  | 'H1W_PROXY_V1_TOO_LONG'
  | 'H1W_PROXY_V1_MALFORMED'
  | 'H1W_PROXY_V2_BAD_VERSION'
  | 'H1W_PROXY_V2_BAD_COMMAND'
  | 'H1W_PROXY_V2_BAD_FAMILY'
  | 'H1W_PROXY_V2_TRUNCATED'
  | 'H1W_PROXY_V2_BAD_TLV'
  | 'H1W_PROXY_V2_TOO_LONG'
  | 'H1W_PROXY_TIMEOUT'
  | 'H1W_PROXY_INCOMPLETE';

/** A connection that should start with a PROXY header did not; it is closed, never read as HTTP. */
export class ProxyProtocolError extends Error {
  readonly code: ProxyErrorCode;
  constructor(message: string, code: ProxyErrorCode) {
    super(message);
    this.name = 'ProxyProtocolError';
    this.code = code;
  }
}

export interface ProxyAddress {
  address: string;
  port: number;
}

export interface ProxyHeader {
  version: 1 | 2;
  /** `local`: the proxy's own connection (a health check); the socket's addresses stand. */
  command: 'proxy' | 'local';
  /** tcp4 / tcp6 carry addresses; unknown (v1), unspec and unix (v2) do not (the socket's addresses stand). */
  family: 'tcp4' | 'tcp6' | 'unknown' | 'unspec' | 'unix';
  /** The client as the proxy saw it, or null when the header carries no IP address. */
  source: ProxyAddress | null;
  /** The address the client connected to (the proxy's), or null. */
  destination: ProxyAddress | null;
  /** Header bytes, so that what follows is HTTP. */
  length: number;
}

/**
 * Parses a PROXY header at the start of `bytes`. Returns null while more bytes are needed (every prefix of a
 * valid header is "need more"), the header once complete; throws ProxyProtocolError as soon as the bytes
 * cannot be the start of a valid header.
 */
export function parseProxyHeader(bytes: Uint8Array): ProxyHeader | null {
  if (bytes.length === 0) return null;
  if (bytes[0] === 0x50 /* P */) return parseV1(bytes);
  if (bytes[0] === 0x0d) return parseV2(bytes);
  throw new ProxyProtocolError('no PROXY protocol signature', 'H1W_PROXY_BAD_SIGNATURE');
}

function startsLike(bytes: Uint8Array, signature: Buffer): boolean {
  const n = Math.min(bytes.length, signature.length);
  for (let i = 0; i < n; i++) if (bytes[i] !== signature[i]) return false;
  return true;
}

// ---- v1: "PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\n" ------------------------------------------------

function parseV1(bytes: Uint8Array): ProxyHeader | null {
  if (!startsLike(bytes, V1_PREFIX)) throw new ProxyProtocolError('no PROXY protocol signature', 'H1W_PROXY_BAD_SIGNATURE');
  // The CR of a line of at most PROXY_V1_MAX_LENGTH bytes (CRLF included) is at an index below MAX - 1.
  const limit = Math.min(bytes.length, PROXY_V1_MAX_LENGTH - 1);
  let cr = -1;
  for (let i = V1_PREFIX.length; i < limit; i++) {
    const c = bytes[i] as number;
    if (c === 0x0d) {
      cr = i;
      break;
    }
    if (c < 0x20 || c > 0x7e) throw malformed('a control or non-ASCII byte in the v1 line');
  }
  if (cr < 0) {
    if (bytes.length >= PROXY_V1_MAX_LENGTH - 1) throw new ProxyProtocolError(`v1 line longer than ${PROXY_V1_MAX_LENGTH} bytes`, 'H1W_PROXY_V1_TOO_LONG');
    return null;
  }
  if (cr + 1 === bytes.length) return null;
  if (bytes[cr + 1] !== 0x0a) throw malformed('CR without LF in the v1 line');
  const line = Buffer.from(bytes.buffer, bytes.byteOffset + V1_PREFIX.length, cr - V1_PREFIX.length).toString('latin1');
  const length = cr + 2;
  if (line === 'UNKNOWN' || line.startsWith('UNKNOWN ')) {
    // The spec lets anything follow UNKNOWN up to the CRLF; the receiver ignores it.
    return { version: 1, command: 'proxy', family: 'unknown', source: null, destination: null, length };
  }
  const parts = line.split(' ');
  if (parts.length !== 5) throw malformed('a v1 line needs a protocol, two addresses and two ports');
  const [proto, src, dst, sport, dport] = parts as [string, string, string, string, string];
  const isIp = proto === 'TCP4' ? isIPv4 : proto === 'TCP6' ? isIPv6 : null;
  if (isIp === null) throw malformed(`unknown v1 protocol "${proto}"`);
  if (!isIp(src) || !isIp(dst)) throw malformed(`an address that is not ${proto === 'TCP4' ? 'IPv4' : 'IPv6'}`);
  return {
    version: 1,
    command: 'proxy',
    family: proto === 'TCP4' ? 'tcp4' : 'tcp6',
    source: { address: src, port: v1Port(sport) },
    destination: { address: dst, port: v1Port(dport) },
    length,
  };
}

function v1Port(text: string): number {
  // Decimal, 0..65535, no sign and no leading zero (the spec's form; anything else is not a proxy talking).
  if (!/^(0|[1-9][0-9]{0,4})$/.test(text) || Number(text) > 65535) throw malformed(`bad v1 port "${text}"`);
  return Number(text);
}

function malformed(message: string): ProxyProtocolError {
  return new ProxyProtocolError(message, 'H1W_PROXY_V1_MALFORMED');
}

// ---- v2: 12-byte signature, version/command, family/transport, length, addresses, TLVs --------------------

function parseV2(bytes: Uint8Array): ProxyHeader | null {
  if (!startsLike(bytes, V2_SIGNATURE)) throw new ProxyProtocolError('no PROXY protocol signature', 'H1W_PROXY_BAD_SIGNATURE');
  if (bytes.length < 13) return null;
  const verCmd = bytes[12] as number;
  if (verCmd >> 4 !== 2) throw new ProxyProtocolError(`v2 version ${verCmd >> 4}`, 'H1W_PROXY_V2_BAD_VERSION');
  const command = verCmd & 0x0f;
  if (command > 1) throw new ProxyProtocolError(`v2 command ${command}`, 'H1W_PROXY_V2_BAD_COMMAND');
  if (bytes.length < 14) return null;
  const famByte = bytes[13] as number;
  const family = famByte >> 4;
  const transport = famByte & 0x0f;
  // A TCP listener takes STREAM (or UNSPEC); DGRAM and unknown families are not a proxy for this socket.
  if (family > 3 || transport > 1 || (transport === 0) !== (family === 0)) {
    throw new ProxyProtocolError(`v2 family/transport 0x${famByte.toString(16).padStart(2, '0')}`, 'H1W_PROXY_V2_BAD_FAMILY');
  }
  if (bytes.length < PROXY_V2_HEADER_LENGTH) return null;
  const blockLength = ((bytes[14] as number) << 8) | (bytes[15] as number);
  const addressBytes = V2_ADDRESS_BYTES[family as 0 | 1 | 2 | 3];
  if (blockLength < addressBytes) throw new ProxyProtocolError(`v2 block of ${blockLength} bytes, too short for its addresses`, 'H1W_PROXY_V2_TRUNCATED');
  if (blockLength - addressBytes > PROXY_V2_MAX_TLV_BYTES) {
    throw new ProxyProtocolError(`v2 TLVs of ${blockLength - addressBytes} bytes (at most ${PROXY_V2_MAX_TLV_BYTES})`, 'H1W_PROXY_V2_TOO_LONG');
  }
  const length = PROXY_V2_HEADER_LENGTH + blockLength;
  if (bytes.length < length) return null;
  checkTlvs(bytes, PROXY_V2_HEADER_LENGTH + addressBytes, length);
  const local = command === 0;
  if (family === 1 || family === 2) {
    const [source, destination] = family === 1 ? inet4(bytes) : inet6(bytes);
    // LOCAL: the proxy speaks for itself (health checks); its addresses, if any, are not a client's.
    return { version: 2, command: local ? 'local' : 'proxy', family: family === 1 ? 'tcp4' : 'tcp6', source: local ? null : source, destination: local ? null : destination, length };
  }
  return { version: 2, command: local ? 'local' : 'proxy', family: family === 0 ? 'unspec' : 'unix', source: null, destination: null, length };
}

/** TLVs are skipped, but only if they tile the rest of the block exactly (type, 16-bit length, value). */
function checkTlvs(bytes: Uint8Array, start: number, end: number): void {
  let at = start;
  while (at < end) {
    if (end - at < 3) throw new ProxyProtocolError('a v2 TLV cut short', 'H1W_PROXY_V2_BAD_TLV');
    const size = ((bytes[at + 1] as number) << 8) | (bytes[at + 2] as number);
    at += 3 + size;
    if (at > end) throw new ProxyProtocolError('a v2 TLV longer than its block', 'H1W_PROXY_V2_BAD_TLV');
  }
}

function port(bytes: Uint8Array, at: number): number {
  return ((bytes[at] as number) << 8) | (bytes[at + 1] as number);
}

function inet4(bytes: Uint8Array): [ProxyAddress, ProxyAddress] {
  const b = (at: number): string => `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`;
  return [
    { address: b(16), port: port(bytes, 24) },
    { address: b(20), port: port(bytes, 26) },
  ];
}

function inet6(bytes: Uint8Array): [ProxyAddress, ProxyAddress] {
  return [
    { address: ipv6(bytes, 16), port: port(bytes, 48) },
    { address: ipv6(bytes, 32), port: port(bytes, 50) },
  ];
}

/** 16 bytes → the canonical text form (RFC 5952: lower case, longest zero run as ::, v4-mapped as ::ffff:a.b.c.d). */
export function ipv6(bytes: Uint8Array, at: number): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push(port(bytes, at + i * 2));
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) {
    return `::ffff:${bytes[at + 12]}.${bytes[at + 13]}.${bytes[at + 14]}.${bytes[at + 15]}`;
  }
  let bestStart = -1;
  let bestLength = 1; // a single zero word is not shortened (RFC 5952 §4.2.2)
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
