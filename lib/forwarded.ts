// Trusted forwarding: who the client is (req.ip), how it spoke to the first proxy (req.protocol) and which host
// it asked for (req.host), from `Forwarded` (RFC 7239) or X-Forwarded-For/-Proto/-Host, believed only as far
// as the chain runs through trusted proxies. The chain is walked right to left: the socket's peer first (hop 0),
// then each address a trusted proxy says it got the request from; the first untrusted one is the client.
// Who is trusted is proxy-addr's job (addresses, CIDRs, 'loopback', 'linklocal', 'uniquelocal').
import proxyaddr from 'proxy-addr';
import { TOKEN } from './frame.js';

/** (address, hop) → believe what this peer says it got from the one before it. Hop 0 is the socket's peer. */
export type TrustFunction = (address: string, hop: number) => boolean;
/** false: nobody; true: everyone; a hop count; addresses or CIDRs (a list, or one string, commas allowed). */
export type TrustProxy = boolean | number | string | readonly string[] | TrustFunction;

export interface Forwarding {
  ip: string;
  protocol: string;
  host: string | undefined;
}

interface Hop {
  for: string | undefined;
  proto: string | undefined;
  host: string | undefined;
}

export function compileTrust(value: TrustProxy | undefined): TrustFunction | null {
  if (value === undefined || value === false) return null;
  if (value === true) return () => true;
  if (typeof value === 'function') return value;
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0) throw new TypeError(`option trustProxy: a hop count must be a whole number >= 0, got ${value}`);
    return value === 0 ? null : (_address, hop) => hop < value;
  }
  const list = typeof value === 'string' ? value.split(',').map((s) => s.trim()) : Array.isArray(value) ? [...value] : null;
  if (list === null || list.some((s) => typeof s !== 'string')) throw new TypeError('option trustProxy: false, true, a hop count, addresses/CIDRs or a function');
  if (list.length === 0) return null;
  try {
    return proxyaddr.compile(list);
  } catch (error) {
    throw new TypeError(`option trustProxy: ${(error as Error).message}`);
  }
}

/**
 * What the request says about its client, believed through trusted peers. `own` is what the connection itself
 * knows (the peer's address, http or https, the Host); `header` reads request fields.
 */
export function resolveForwarding(own: Forwarding, header: (name: string) => string | undefined, trust: TrustFunction | null): Forwarding {
  if (trust === null || !trust(own.ip, 0)) return own;
  const forwarded = header('forwarded');
  const hops = forwarded !== undefined ? forwardedHops(forwarded) : xForwardedHops(header);
  let result = own;
  for (let i = 0; i < hops.length; i++) {
    const hop = hops[i] as Hop;
    if (hop.for === undefined) break; // a proxy that did not say whom it got the request from: the chain ends
    result = { ip: hop.for, protocol: hop.proto ?? result.protocol, host: hop.host ?? result.host };
    if (!trust(hop.for, i + 1)) break;
  }
  return result;
}

/** X-Forwarded-For, right to left; -Proto and -Host line up with it when they have as many values, else their
 * first value stands for every hop (one proxy at the edge set it). */
function xForwardedHops(header: (name: string) => string | undefined): Hop[] {
  const list = (name: string): string[] => {
    const value = header(name);
    return value === undefined ? [] : value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  };
  const fors = list('x-forwarded-for');
  const protos = list('x-forwarded-proto');
  const hosts = list('x-forwarded-host');
  const hops: Hop[] = [];
  for (let i = 0; i < fors.length; i++) {
    const at = (values: string[]): string | undefined => (values.length === fors.length ? values[fors.length - 1 - i] : values[0]);
    hops.push({ for: fors[fors.length - 1 - i], proto: scheme(at(protos)), host: at(hosts) });
  }
  return hops;
}

/** `Forwarded` elements, right to left (RFC 7239 §4). Malformed → no hops: nothing in it is believed. */
export function forwardedHops(value: string): Hop[] {
  const hops: Hop[] = [];
  for (const element of splitOutsideQuotes(value, ',')) {
    if (element === null) return [];
    const hop: Hop = { for: undefined, proto: undefined, host: undefined };
    for (const pair of splitOutsideQuotes(element, ';')) {
      if (pair === null) return [];
      if (pair === '' ) continue;
      const eq = pair.indexOf('=');
      if (eq <= 0) return [];
      const name = pair.slice(0, eq).trim().toLowerCase();
      const raw = pair.slice(eq + 1).trim();
      if (!TOKEN.test(name)) return [];
      const text = unquote(raw);
      if (text === null) return [];
      if (name === 'for') hop.for = node(text);
      else if (name === 'proto') hop.proto = scheme(text);
      else if (name === 'host') hop.host = text;
    }
    hops.push(hop);
  }
  return hops.reverse();
}

/** Splits on `sep` outside quoted strings; a part with an unterminated quote is null. */
function splitOutsideQuotes(value: string, sep: string): (string | null)[] {
  const parts: (string | null)[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (quoted && c === '\\') i++;
    else if (c === '"') quoted = !quoted;
    else if (!quoted && c === sep) {
      parts.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(quoted ? null : value.slice(start).trim());
  return parts;
}

function unquote(raw: string): string | null {
  if (raw.startsWith('"')) {
    if (raw.length < 2 || !raw.endsWith('"')) return null;
    return raw.slice(1, -1).replace(/\\(.)/g, '$1');
  }
  return TOKEN.test(raw) ? raw : null;
}

/** A node (RFC 7239 §6): `192.0.2.1`, `192.0.2.1:80`, `[2001:db8::1]:80`, `unknown`, `_hidden` → without port. */
function node(text: string): string {
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    return close < 0 ? text : text.slice(1, close);
  }
  const colon = text.indexOf(':');
  return colon < 0 ? text : text.slice(0, colon);
}

function scheme(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const lower = text.toLowerCase();
  return /^[a-z][a-z0-9+.-]*$/.test(lower) ? lower : undefined;
}
