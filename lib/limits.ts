// Named defaults, each with the reason for its value. Every one can be changed per server (ServerOptions).

/** Request line + header section. node:http's default (--max-http-header-size) is 16 KiB too. */
export const MAX_HEADER_SIZE = 16 * 1024;

/** Request target. RFC 9112 §3 recommends accepting at least 8,000 octets; past this → 414. */
export const MAX_REQUEST_LINE_SIZE = 8 * 1024;

/** Header fields per request. Real browsers send 10–30; node:http's maxHeadersCount is 2,000 but it
 * silently drops the rest, and we would rather answer 431 than guess. */
export const MAX_HEADER_COUNT = 256;

/** Request body. A small embedded server should not buffer megabytes per request by accident; → 413. */
export const MAX_BODY_SIZE = 1024 * 1024;

/** Non-data bytes in a chunked body between two runs of data (chunk-size lines with their extensions,
 * CRLFs, trailers). node:http caps chunk extensions at 16 KiB (CVE-2024-22019); past this → 413. */
export const MAX_CHUNK_OVERHEAD = 16 * 1024;

/** Idle time between requests on a kept connection; node:http's default is 5 s as well. */
export const KEEP_ALIVE_TIMEOUT = 5_000;

/** Extra time an idle connection is kept beyond what `Keep-Alive: timeout=N` advertises, so that a client
 * reusing it at the last moment does not race our close (node:http's keepAliveTimeoutBuffer is 1 s). */
export const KEEP_ALIVE_BUFFER = 1_000;

/** From the first byte of a request (or the accept) to the end of its head: slowloris protection. */
export const HEADERS_TIMEOUT = 10_000;

/** From the first byte of a request to its last body byte; node:http's requestTimeout defaults to 300 s,
 * which leaves a slow-body attacker five minutes per socket. */
export const REQUEST_TIMEOUT = 30_000;

/** A blocked write that makes no progress for this long is a dead or hostile reader → destroy. */
export const WRITE_TIMEOUT = 30_000;

/** After we end our side, how long we keep reading (and discarding) before destroying, so that unread
 * input does not turn our FIN into an RST that wipes the response from the client's buffer. */
export const CLOSE_LINGER = 2_000;

/** Bytes buffered per connection, each way, before we stop producing (writes) or reading (request body). */
export const HIGH_WATER_MARK = 64 * 1024;

/** Requests parsed but not yet answered on one connection; past it we stop reading until answers drain. */
export const MAX_PIPELINE_DEPTH = 16;

/** Request body bytes we read and throw away after the handler answered without reading them, so that the
 * connection can be kept; a larger unread remainder closes the connection instead. */
export const MAX_DISCARD_SIZE = 256 * 1024;

/** Open connections (0 = no limit). */
export const MAX_CONNECTIONS = 0;

/** Connections over maxConnections that are answered 503 at once (each then lingers up to closeLinger);
 * past this many still closing, a connection over the limit is closed without an answer, so a connection
 * flood holds at most maxConnections + this many descriptors. */
export const REFUSALS_IN_FLIGHT = 16;

/** Requests per connection (0 = no limit). */
export const MAX_REQUESTS_PER_CONNECTION = 0;

/** An idle connection gives its parser back after this long: a busy keep-alive connection keeps it between
 * requests, and thousands of idle connections hold no parser at all. */
export const PARSER_RETURN_DELAY = 1_000;

/** Idle connections that keep their parser and parts for a quick next request (a keep-alive load of this many
 * connections never gives them up between requests); past it, the one idle longest gives them up at once, so
 * that a burst of thousands of idle connections costs little more than their sockets. */
export const WARM_IDLE_CONNECTIONS = 256;

/** Free-list sizes: enough to absorb churn without pinning memory after a spike. */
export const CONNECTION_FREE_LIST = 1024;
export const PARSER_FREE_LIST = 1024;

/** The deadline sweep runs at most this far apart (and more often when a timeout is shorter). */
export const MAX_SWEEP_PERIOD = 1_000;
export const MIN_SWEEP_PERIOD = 10;

/** When `server.close()` is given no timeout: how long in-flight requests get before they are destroyed. */
export const CLOSE_TIMEOUT = 10_000;

/** A TLS client gets this long from connect to a finished handshake: a real one needs a few round trips,
 * and a client that stalls would otherwise hold a descriptor with no HTTP deadline running yet. */
export const TLS_HANDSHAKE_TIMEOUT = 10_000;

/** proxyProtocol: accept → complete PROXY header. A proxy sends it with its first packet; a socket that has
 * not sent it by now is not a proxy, and waiting longer only holds its descriptor. */
export const PROXY_HEADER_TIMEOUT = 5_000;
