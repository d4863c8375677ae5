// h1wire's public API.
export { createServer, Server, type CloseOptions, type ListenExtra } from './server.js';
export type { ServerOptions } from './config.js';
export type { Handler } from './handle.js';
export { Request, type RequestTimings } from './request.js';
export { RequestBody } from './request-body.js';
export { reply, isResult, type Result, type HeaderInput, type HeaderValue, type TrailerInput } from './result.js';
export { router, type RouteOptions, type RouteTable } from './router.js';
export { HANDLED_METHODS } from './request-rules.js';
export * from './serializers/index.js';
export * from './errors.js';
export { CHANNELS, type Hooks, type StageEvents, type StageName, type CloseReason } from './stages.js';
export { CREDENTIAL_HEADERS, type TraceOptions } from './trace.js';
export type { ServerStats } from './pool.js';
export * as limits from './limits.js';
export { createDemoServer } from './demo.js';
export { parseProxyHeader, ProxyProtocolError, type ProxyHeader, type ProxyAddress, type ProxyErrorCode } from './proxy-protocol.js';
export type { TrustProxy, TrustFunction } from './forwarded.js';
export { cluster, reusePortSupported, type ClusterOptions, type ClusterPrimary, type ClusterWorker, type Balance } from './cluster.js';
