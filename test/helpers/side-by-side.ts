// One fetch app served twice, by h1wire (fetchHandler) and by @hono/node-server on node:http, and the rule for
// comparing what each sends: the same status, the same headers and the same body. Headers allowed to differ are
// listed here with why; nothing else may.
import { createAdaptorServer } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { fetchHandler } from '../../lib/fetch-handler.js';
import { UndiciRequest } from '../../lib/fetch-global-request.js';
import { UndiciResponse } from '../../lib/fetch-light-response.js';
import { createServer, type Server } from '../../lib/server.js';
import type { Response as ParsedResponse } from './response-parser.js';

/**
 * Headers that describe the connection or the moment, not the response: `date` (the clock), `connection` and
 * `keep-alive` (h1wire always says `Connection: keep-alive` and advertises its timeout; node:http says it only
 * to HTTP/1.0 clients and advertises its own 5 s). Everything else, framing included, must match.
 */
const CONNECTION_LEVEL = new Set(['date', 'connection', 'keep-alive']);

/**
 * The framing of an empty body from a Response whose body is null (c.redirect()): h1wire frames it
 * `Content-Length: 0`; node:http sends `Transfer-Encoding: chunked` with a zero chunk. Only for an empty body
 * are these two lines left out of the comparison (HEAD has tests of its own).
 */
const EMPTY_FRAMING = new Set(['content-length: 0', 'transfer-encoding: chunked']);

/** A response as compared: status, header lines (lower-case name, sorted), body as latin1. */
export interface Comparable {
  status: number;
  headers: string[];
  body: string;
}

/** The parts of a response that compare: status, `[name, value]` pairs as sent, body bytes. */
export interface Sent {
  status: number;
  headers: readonly (readonly [string, string])[];
  body: Buffer;
}

export function comparable(res: Sent): Comparable {
  const headers = res.headers
    .filter(([name]) => !CONNECTION_LEVEL.has(name.toLowerCase()))
    .map(([name, value]) => `${name.toLowerCase()}: ${value}`)
    .filter((line) => res.body.length > 0 || !EMPTY_FRAMING.has(line))
    .sort();
  return { status: res.status, headers, body: res.body.toString('latin1') };
}

/**
 * A Response with no Content-Type (bytes, a stream): h1wire sends none, as the Response says; node-server adds
 * `text/plain; charset=UTF-8` unless its global override is on. Here it runs with `overrideGlobalObjects:
 * false` (it would otherwise replace Request and Response for this whole test process), so that one line of
 * theirs is left out when ours has no Content-Type at all.
 */
export function withoutAddedType(theirs: Comparable, ours: Comparable): Comparable {
  if (ours.headers.some((line) => line.startsWith('content-type:'))) return theirs;
  return { ...theirs, headers: theirs.headers.filter((line) => line !== 'content-type: text/plain; charset=UTF-8') };
}

/** inject()'s response as the pairs a socket client reads (rawHeaders alternate name and value). */
export function injected(res: { status: number; rawHeaders: string[]; body: Buffer }): Sent {
  const headers: [string, string][] = [];
  for (let i = 0; i < res.rawHeaders.length; i += 2) headers.push([res.rawHeaders[i]!, res.rawHeaders[i + 1]!]);
  return { status: res.status, headers, body: res.body };
}

/** Undici's Request and Response as the globals again (a fetchHandler installs its own on its first request). */
export function restoreUndiciGlobals(): void {
  globalThis.Response = UndiciResponse;
  globalThis.Request = UndiciRequest;
}

/** Which Response the app builds on h1wire: the light one (fetchHandler's default) or undici's (opted out). */
export type Mode = 'light' | 'undici';

export interface Pair {
  h1: Server;
  h1Port: number;
  nodePort: number;
  close(): Promise<void>;
}

/** `fetch` served by h1wire (in `mode`) and by node-server, each on a port of its own. */
export async function sideBySide(fetch: (request: Request) => Response | Promise<Response>, mode: Mode = 'light'): Promise<Pair> {
  // Undici's own globals for the opt-out, whatever an earlier test in this process left installed.
  if (mode === 'undici') restoreUndiciGlobals();
  const h1 = createServer(fetchHandler(fetch, mode === 'light' ? {} : { overrideGlobalResponse: false }));
  const { port: h1Port } = await h1.listen(0);
  // node-server would replace the global Request and Response for the whole test process; it answers the same.
  const node = createAdaptorServer({ fetch, overrideGlobalObjects: false });
  await new Promise<void>((resolve) => node.listen(0, '127.0.0.1', resolve));
  const nodePort = (node.address() as AddressInfo).port;
  return {
    h1,
    h1Port,
    nodePort,
    async close() {
      await h1.close({ timeout: 100 });
      await new Promise<void>((resolve) => {
        (node as unknown as { closeAllConnections(): void }).closeAllConnections();
        node.close(() => resolve());
      });
    },
  };
}

/** A response's header lines but for its framing (Content-Length, Transfer-Encoding), which HEAD tests apart. */
export function unframed(res: Sent): Comparable {
  const c = comparable(res);
  return { ...c, headers: c.headers.filter((line) => !line.startsWith('content-length:') && !line.startsWith('transfer-encoding:')) };
}

export function field(res: ParsedResponse, name: string): string | undefined {
  return res.headers.find(([n]) => n.toLowerCase() === name)?.[1];
}
