// Server options, their defaults (limits.ts), and the resolved configuration the stages read.
import type { Writable } from 'node:stream';
import type { TlsOptions } from 'node:tls';
import { monotonicClock, type Clock } from './clock.js';
import { connectionLines, type ConnectionLines } from './frame.js';
import * as limits from './limits.js';
import type { ParserLimits } from './parser.js';
import type { SerializeContext } from './serialize.js';
import { json } from './serializers/json.js';
import { checkSerializer, type Serializer } from './serializers/serializer.js';
import type { Request } from './request.js';
import type { InspectorOption } from './inspector.js';
import type { Hooks } from './stages.js';
import type { TraceOptions } from './trace.js';
import { compileTrust, type TrustFunction, type TrustProxy } from './forwarded.js';

export interface ServerOptions {
  /** Request line + headers, bytes (→ 431). */
  maxHeaderSize?: number;
  /** Request target, bytes (→ 414). */
  maxRequestLineSize?: number;
  /** Header fields per request (→ 431). */
  maxHeaderCount?: number;
  /** Request body, bytes (→ 413); or a function of the request (its head only), for per-route limits. */
  maxBodySize?: number | ((req: Request) => number);
  /** Chunk extensions and trailers between two runs of chunked data, bytes (→ 413). */
  maxChunkOverhead?: number;
  /** Idle time between requests, ms; advertised as `Keep-Alive: timeout=N`. */
  keepAliveTimeout?: number;
  /** Extra idle time beyond the advertised one, ms. */
  keepAliveBuffer?: number;
  /** First byte of a request → end of its head, ms (→ 408). */
  headersTimeout?: number;
  /** First byte of a request → end of its body, ms (→ 408). */
  requestTimeout?: number;
  /** A blocked write making no progress for this long destroys the connection, ms. */
  writeTimeout?: number;
  /** How long a closing connection keeps reading before it is destroyed, ms. */
  closeLinger?: number;
  /** Serve HTTPS: any tls.createServer option (key, cert, ca, SNICallback, …); ALPN offers http/1.1. */
  tls?: TlsOptions;
  /** Connect → finished TLS handshake, ms; a client slower than this is closed (`tls-handshake-timeout`). */
  tlsHandshakeTimeout?: number;
  /** Bytes buffered per connection, each way. */
  highWaterMark?: number;
  /** Requests parsed but not yet answered per connection. */
  maxPipelineDepth?: number;
  /** Unread request body bytes thrown away to keep a connection, beyond which it closes. */
  maxDiscardSize?: number;
  /** Open connections; more get 503 and are closed (0 = no limit). */
  maxConnections?: number;
  /** Requests per connection; the last one's response says `Connection: close` (0 = no limit). */
  maxRequestsPerConnection?: number;
  /** The serializer for plain values, or several: the first is the default, `Accept` picks among them. */
  serializers?: Serializer | readonly Serializer[];
  /** With several serializers: answer 406 when Accept allows none (default: use the first). */
  strictAccept?: boolean;
  /** A client's FIN only ends its side: requests already sent are still answered (default false: a FIN
   * means the client is gone, as in node:http; unanswered requests are aborted and the connection ends). */
  allowHalfOpen?: boolean;
  /** When to send `100 Continue`: when the handler starts reading the body (default), or at once. */
  continue?: 'on-read' | 'immediately';
  /** A function per stage; see stages.ts. */
  hooks?: Hooks;
  /** Print an annotated wire log: true for stderr, a stream, or { stream, redact, showCredentials } (trace.ts). */
  trace?: boolean | Writable | TraceOptions;
  /** Add `Server-Timing: handle;dur=…, serialize;dur=…` to responses. */
  serverTiming?: boolean;
  /** Measure per-request timings (`req.timings`) even with no hook, trace or Server-Timing. */
  timings?: boolean;
  /** Serve the live wire inspector at /_wire (loopback clients only unless `{ allow }`; inspector.ts). */
  inspector?: InspectorOption;
  /** The monotonic millisecond clock deadlines and timings read (default performance.now). For tests. */
  clock?: Clock;
  /** Every connection starts with a PROXY protocol header (v1 or v2), which gives remoteAddress/remotePort.
   * Never detected: with this on, a connection without one is closed; with it off, one is a 400. */
  proxyProtocol?: boolean;
  /** accept → complete PROXY header, ms. */
  proxyHeaderTimeout?: number;
  /** Whose forwarding headers to believe for req.ip, req.protocol, req.host: false (nobody, the default), true
   * (everyone), addresses/CIDRs/'loopback'…, a hop count, or a function (address, hop) → boolean. */
  trustProxy?: TrustProxy;
}

export interface ServerConfig {
  readonly parserLimits: ParserLimits;
  /** Per-request body limit (when maxBodySize is a function; the parser's own limit is then off). */
  readonly bodyLimit: ((req: Request) => number) | null;
  readonly keepAliveTimeout: number;
  readonly keepAliveBuffer: number;
  readonly headersTimeout: number;
  readonly requestTimeout: number;
  readonly writeTimeout: number;
  readonly closeLinger: number;
  readonly tlsHandshakeTimeout: number;
  readonly highWaterMark: number;
  readonly maxPipelineDepth: number;
  readonly maxDiscardSize: number;
  readonly maxConnections: number;
  readonly maxRequestsPerConnection: number;
  readonly continueAtOnce: boolean;
  readonly allowHalfOpen: boolean;
  readonly serverTiming: boolean;
  readonly serialize: SerializeContext;
  readonly lines: ConnectionLines;
  readonly clock: Clock;
  readonly proxyProtocol: boolean;
  readonly proxyHeaderTimeout: number;
  /** null: trust nobody (forwarding headers are never read). */
  readonly trustProxy: TrustFunction | null;
}

function count(name: string, value: number | undefined, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new TypeError(`option ${name} must be a number >= ${min}, got ${String(value)}`);
  }
  return Math.floor(value);
}

export function resolveConfig(options: ServerOptions): ServerConfig {
  const serializers = options.serializers === undefined ? [json()] : ([] as Serializer[]).concat(options.serializers);
  if (serializers.length === 0) throw new TypeError('option serializers needs at least one serializer');
  serializers.forEach(checkSerializer);
  const keepAliveTimeout = count('keepAliveTimeout', options.keepAliveTimeout, limits.KEEP_ALIVE_TIMEOUT);
  const bodyLimit = typeof options.maxBodySize === 'function' ? options.maxBodySize : null;
  return {
    bodyLimit,
    parserLimits: {
      maxHeaderSize: count('maxHeaderSize', options.maxHeaderSize, limits.MAX_HEADER_SIZE, 64),
      maxRequestLineSize: count('maxRequestLineSize', options.maxRequestLineSize, limits.MAX_REQUEST_LINE_SIZE, 16),
      maxHeaderCount: count('maxHeaderCount', options.maxHeaderCount, limits.MAX_HEADER_COUNT, 1),
      maxBodySize: bodyLimit !== null ? Number.MAX_SAFE_INTEGER : count('maxBodySize', options.maxBodySize as number | undefined, limits.MAX_BODY_SIZE),
      maxChunkOverhead: count('maxChunkOverhead', options.maxChunkOverhead, limits.MAX_CHUNK_OVERHEAD, 64),
    },
    keepAliveTimeout,
    keepAliveBuffer: count('keepAliveBuffer', options.keepAliveBuffer, limits.KEEP_ALIVE_BUFFER),
    headersTimeout: count('headersTimeout', options.headersTimeout, limits.HEADERS_TIMEOUT),
    requestTimeout: count('requestTimeout', options.requestTimeout, limits.REQUEST_TIMEOUT),
    writeTimeout: count('writeTimeout', options.writeTimeout, limits.WRITE_TIMEOUT),
    closeLinger: count('closeLinger', options.closeLinger, limits.CLOSE_LINGER),
    tlsHandshakeTimeout: count('tlsHandshakeTimeout', options.tlsHandshakeTimeout, limits.TLS_HANDSHAKE_TIMEOUT),
    highWaterMark: count('highWaterMark', options.highWaterMark, limits.HIGH_WATER_MARK, 1),
    maxPipelineDepth: count('maxPipelineDepth', options.maxPipelineDepth, limits.MAX_PIPELINE_DEPTH, 1),
    maxDiscardSize: count('maxDiscardSize', options.maxDiscardSize, limits.MAX_DISCARD_SIZE),
    maxConnections: count('maxConnections', options.maxConnections, limits.MAX_CONNECTIONS),
    maxRequestsPerConnection: count('maxRequestsPerConnection', options.maxRequestsPerConnection, limits.MAX_REQUESTS_PER_CONNECTION),
    continueAtOnce: options.continue === 'immediately',
    allowHalfOpen: options.allowHalfOpen === true,
    serverTiming: options.serverTiming === true,
    serialize: { serializers, strictAccept: options.strictAccept === true },
    // The advertised timeout is in whole seconds, rounded down, so a client never waits past our own.
    lines: connectionLines(Math.floor(keepAliveTimeout / 1000)),
    clock: clockOption(options.clock),
    proxyProtocol: options.proxyProtocol === true,
    proxyHeaderTimeout: count('proxyHeaderTimeout', options.proxyHeaderTimeout, limits.PROXY_HEADER_TIMEOUT, 1),
    trustProxy: compileTrust(options.trustProxy),
  };
}

function clockOption(clock: Clock | undefined): Clock {
  if (clock === undefined) return monotonicClock;
  if (typeof clock !== 'function') throw new TypeError('option clock must be a function returning milliseconds');
  return clock;
}
