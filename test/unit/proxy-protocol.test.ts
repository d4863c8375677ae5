// The PROXY protocol parser: every valid form whole and cut at every byte (each prefix is "need more"), and
// every malformed form refused with its code, whole and as soon as the bad byte arrives.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ipv6, parseProxyHeader, PROXY_V1_MAX_LENGTH, PROXY_V2_MAX_TLV_BYTES, ProxyProtocolError, type ProxyHeader } from '../../lib/proxy-protocol.js';
import { v2 } from '../helpers/proxy.js';

const HTTP = Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n\r\n');

/** Parses `header` followed by an HTTP request, whole and every prefix; returns the header. */
function parsesAt(header: Buffer): ProxyHeader {
  for (let i = 0; i < header.length; i++) assert.is(parseProxyHeader(header.subarray(0, i)), null, `prefix of ${i} bytes needs more`);
  const parsed = parseProxyHeader(Buffer.concat([header, HTTP]));
  assert.ok(parsed !== null);
  assert.is(parsed.length, header.length, 'the header ends where HTTP starts');
  assert.equal(parseProxyHeader(header), parsed);
  return parsed;
}

function refused(bytes: Buffer, code: string, label = code): void {
  try {
    const parsed = parseProxyHeader(bytes);
    assert.unreachable(`${label}: parsed as ${JSON.stringify(parsed)}`);
  } catch (error) {
    assert.instance(error, ProxyProtocolError, label);
    assert.is((error as ProxyProtocolError).code, code, label);
  }
}

const v1 = (line: string): Buffer => Buffer.from(line, 'latin1');

test('v1 TCP4, TCP6, UNKNOWN', () => {
  assert.equal(parsesAt(v1('PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\n')), {
    version: 1, command: 'proxy', family: 'tcp4', source: { address: '192.0.2.1', port: 56324 }, destination: { address: '198.51.100.2', port: 443 }, length: 45,
  });
  const six = parsesAt(v1('PROXY TCP6 2001:db8::1 ::1 65535 0\r\n'));
  assert.equal([six.family, six.source, six.destination], ['tcp6', { address: '2001:db8::1', port: 65535 }, { address: '::1', port: 0 }]);
  const unknown = parsesAt(v1('PROXY UNKNOWN\r\n'));
  assert.equal([unknown.family, unknown.source, unknown.destination], ['unknown', null, null]);
  assert.is(parsesAt(v1('PROXY UNKNOWN anything at all 1 2\r\n')).family, 'unknown');
});

test('v1 at the 107-byte limit parses; one byte more is refused at once', () => {
  const full = 'PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n';
  assert.is(full.length, 104);
  const longest = v1(`PROXY UNKNOWN ${'x'.repeat(PROXY_V1_MAX_LENGTH - 16)}\r\n`);
  assert.is(longest.length, PROXY_V1_MAX_LENGTH);
  assert.is(parsesAt(longest).length, PROXY_V1_MAX_LENGTH);
  assert.is(parsesAt(v1(full)).length, 104);
  const over = v1(`PROXY UNKNOWN ${'x'.repeat(PROXY_V1_MAX_LENGTH - 15)}\r\n`);
  refused(over, 'H1W_PROXY_V1_TOO_LONG');
  refused(over.subarray(0, PROXY_V1_MAX_LENGTH - 1), 'H1W_PROXY_V1_TOO_LONG', 'refused before the CRLF could come');
  assert.is(parseProxyHeader(over.subarray(0, PROXY_V1_MAX_LENGTH - 2)), null);
});

test('v1 malformed lines are refused', () => {
  const cases: [string, string][] = [
    ['PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\n', 'H1W_PROXY_V1_MALFORMED'], // LF without CR
    ['PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\rX', 'H1W_PROXY_V1_MALFORMED'],
    ['PROXY TCP4 192.0.2.1  198.51.100.2 56324 443\r\n', 'H1W_PROXY_V1_MALFORMED'], // two spaces
    ['PROXY TCP4 192.0.2.1 198.51.100.2 56324\r\n', 'H1W_PROXY_V1_MALFORMED'],
    ['PROXY TCP4 192.0.2.1 198.51.100.2 56324 443 x\r\n', 'H1W_PROXY_V1_MALFORMED'],
    ['PROXY TCP5 192.0.2.1 198.51.100.2 56324 443\r\n', 'H1W_PROXY_V1_MALFORMED'],
    ['PROXY tcp4 192.0.2.1 198.51.100.2 56324 443\r\n', 'H1W_PROXY_V1_MALFORMED'],
    ['PROXY TCP4 2001:db8::1 198.51.100.2 56324 443\r\n', 'H1W_PROXY_V1_MALFORMED'], // family mismatch
    ['PROXY TCP6 192.0.2.1 ::1 56324 443\r\n', 'H1W_PROXY_V1_MALFORMED'],
    ['PROXY TCP4 192.0.2.256 198.51.100.2 56324 443\r\n', 'H1W_PROXY_V1_MALFORMED'],
    ['PROXY TCP4 192.0.2.1 198.51.100.2 65536 443\r\n', 'H1W_PROXY_V1_MALFORMED'],
    ['PROXY TCP4 192.0.2.1 198.51.100.2 0443 443\r\n', 'H1W_PROXY_V1_MALFORMED'],
    ['PROXY TCP4 192.0.2.1 198.51.100.2 -1 443\r\n', 'H1W_PROXY_V1_MALFORMED'],
    ['PROXY TCP4 192.0.2.1 198.51.100.2 1\t 443\r\n', 'H1W_PROXY_V1_MALFORMED'],
    ['PROXY TCP4 192.0.2.1 198.51.100.2 1\u00e9 443\r\n', 'H1W_PROXY_V1_MALFORMED'],
    ['PROXY \r\n', 'H1W_PROXY_V1_MALFORMED'],
    ['PROXYTCP4 192.0.2.1 198.51.100.2 56324 443\r\n', 'H1W_PROXY_BAD_SIGNATURE'],
    ['proxy TCP4 192.0.2.1 198.51.100.2 56324 443\r\n', 'H1W_PROXY_BAD_SIGNATURE'],
    ['GET / HTTP/1.1\r\nHost: a\r\n\r\n', 'H1W_PROXY_BAD_SIGNATURE'],
    ['PUT / HTTP/1.1\r\n', 'H1W_PROXY_BAD_SIGNATURE'], // shares the first letter
    ['\r\n\r\n\x00\r\nQUIX\n', 'H1W_PROXY_BAD_SIGNATURE'],
  ];
  for (const [line, code] of cases) refused(v1(line), code, JSON.stringify(line));
});

test('bad signatures are refused at their first wrong byte, not after waiting for more', () => {
  refused(v1('PR0'), 'H1W_PROXY_BAD_SIGNATURE');
  refused(v1('\r\n\r\n\x01'), 'H1W_PROXY_BAD_SIGNATURE');
  refused(v1('G'), 'H1W_PROXY_BAD_SIGNATURE');
  refused(Buffer.from([0x16, 0x03, 0x01]), 'H1W_PROXY_BAD_SIGNATURE', 'a TLS ClientHello');
});

test('v2 PROXY over IPv4 and IPv6, with TLVs skipped', () => {
  const four = parsesAt(v2({ command: 1, family: 0x11, source: '192.0.2.1', destination: '198.51.100.2', sport: 56324, dport: 443, tlvs: [[0x04, Buffer.alloc(0)], [0x02, Buffer.from('example.com')]] }));
  assert.equal(four, { version: 2, command: 'proxy', family: 'tcp4', source: { address: '192.0.2.1', port: 56324 }, destination: { address: '198.51.100.2', port: 443 }, length: 16 + 12 + 3 + 3 + 11 });
  const six = parsesAt(v2({ command: 1, family: 0x21, source: '2001:db8::7', destination: '::ffff:10.0.0.1', sport: 1, dport: 80 }));
  assert.equal([six.family, six.source, six.destination], ['tcp6', { address: '2001:db8::7', port: 1 }, { address: '::ffff:10.0.0.1', port: 80 }]);
});

test('v2 LOCAL, UNSPEC and UNIX carry no client address', () => {
  const local = parsesAt(v2({ command: 0, family: 0x11, source: '10.0.0.9', destination: '10.0.0.1', sport: 1, dport: 2 }));
  assert.equal([local.command, local.family, local.source, local.destination], ['local', 'tcp4', null, null]);
  const empty = parsesAt(v2({ command: 0, family: 0x00 }));
  assert.equal([empty.command, empty.family, empty.source, empty.length], ['local', 'unspec', null, 16]);
  const unspec = parsesAt(v2({ command: 1, family: 0x00, tlvs: [[0xee, Buffer.alloc(5)]] }));
  assert.equal([unspec.command, unspec.family, unspec.source], ['proxy', 'unspec', null]);
  const unix = parsesAt(v2({ command: 1, family: 0x31, raw: Buffer.alloc(216) }));
  assert.equal([unix.family, unix.source, unix.length], ['unix', null, 16 + 216]);
});

test('v2 malformed blocks are refused', () => {
  const good = v2({ command: 1, family: 0x11, source: '192.0.2.1', destination: '198.51.100.2', sport: 1, dport: 2 });
  const withByte = (at: number, value: number): Buffer => {
    const b = Buffer.from(good);
    b[at] = value;
    return b;
  };
  refused(withByte(12, 0x11), 'H1W_PROXY_V2_BAD_VERSION');
  refused(withByte(12, 0x31), 'H1W_PROXY_V2_BAD_VERSION');
  refused(withByte(12, 0x22), 'H1W_PROXY_V2_BAD_COMMAND');
  refused(withByte(13, 0x12), 'H1W_PROXY_V2_BAD_FAMILY', 'DGRAM');
  refused(withByte(13, 0x41), 'H1W_PROXY_V2_BAD_FAMILY', 'family 4');
  refused(withByte(13, 0x10), 'H1W_PROXY_V2_BAD_FAMILY', 'INET without a transport');
  refused(withByte(13, 0x01), 'H1W_PROXY_V2_BAD_FAMILY', 'UNSPEC with STREAM');
  refused(withByte(15, 11), 'H1W_PROXY_V2_TRUNCATED', 'a block shorter than two IPv4 addresses and ports');
  refused(v2({ command: 1, family: 0x21, raw: Buffer.alloc(12) }), 'H1W_PROXY_V2_TRUNCATED', 'IPv6 with an IPv4-sized block');
  refused(v2({ command: 1, family: 0x11, raw: Buffer.concat([Buffer.alloc(12), Buffer.from([1, 0])]) }), 'H1W_PROXY_V2_BAD_TLV', 'a TLV of 2 bytes');
  refused(v2({ command: 1, family: 0x11, raw: Buffer.concat([Buffer.alloc(12), Buffer.from([1, 0, 5, 1, 2])]) }), 'H1W_PROXY_V2_BAD_TLV', 'a TLV longer than the block');
  refused(v2({ command: 1, family: 0x00, raw: Buffer.alloc(PROXY_V2_MAX_TLV_BYTES + 1) }).subarray(0, 16), 'H1W_PROXY_V2_TOO_LONG', 'refused from the length alone');
  assert.is(parsesAt(v2({ command: 1, family: 0x00, tlvs: [[1, Buffer.alloc(PROXY_V2_MAX_TLV_BYTES - 3)]] })).length, 16 + PROXY_V2_MAX_TLV_BYTES);
  // Errors come with the byte that makes them: a bad version is refused at 13 bytes, not after 16.
  refused(withByte(12, 0x11).subarray(0, 13), 'H1W_PROXY_V2_BAD_VERSION');
  refused(withByte(13, 0x12).subarray(0, 14), 'H1W_PROXY_V2_BAD_FAMILY');
});

test('IPv6 text form: RFC 5952 (longest zero run, no single-word ::, v4-mapped)', () => {
  const bytes = (words: number[]): Buffer => {
    const b = Buffer.alloc(16);
    words.forEach((w, i) => b.writeUInt16BE(w, i * 2));
    return b;
  };
  assert.is(ipv6(bytes([0x2001, 0xdb8, 0, 0, 1, 0, 0, 1]), 0), '2001:db8::1:0:0:1');
  assert.is(ipv6(bytes([0x2001, 0xdb8, 0, 1, 1, 1, 1, 1]), 0), '2001:db8:0:1:1:1:1:1');
  assert.is(ipv6(bytes([0, 0, 0, 0, 0, 0, 0, 0]), 0), '::');
  assert.is(ipv6(bytes([0, 0, 0, 0, 0, 0, 0, 1]), 0), '::1');
  assert.is(ipv6(bytes([1, 0, 0, 0, 0, 0, 0, 0]), 0), '1::');
  assert.is(ipv6(bytes([0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201]), 0), '::ffff:192.0.2.1');
  assert.is(ipv6(bytes([1, 0, 0, 2, 0, 0, 0, 3]), 0), '1:0:0:2::3');
});

test.run();
