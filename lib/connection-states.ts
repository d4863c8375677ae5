// The states of a connection, as small integers with literal-union types (hyper's Reading/Writing, h11's
// per-side states). Each side has one value; what the pool counts (ConnState) is derived from the pair.

/** Read side: what the parser is allowed to take next. */
export const READ_OPEN = 0; // heads are read (a request head, its body, the next head, …)
export const READ_LAST = 1; // the message being read is the last one: what follows it is dropped
export const READ_CLOSED = 2; // nothing more is parsed (input is read and dropped until the socket closes)
export type ReadState = typeof READ_OPEN | typeof READ_LAST | typeof READ_CLOSED;
export const READ_STATE_NAMES = ['open', 'last', 'closed'] as const;

/** Write side: whether responses can go out. */
export const WRITE_READY = 0; // the socket takes our writes
export const WRITE_BLOCKED = 1; // write() returned false: nothing is produced until 'drain'
export const WRITE_CLOSING = 2; // our FIN is due or sent; lingering until the socket closes
export const WRITE_CLOSED = 3; // the socket is gone
export type WriteState = typeof WRITE_READY | typeof WRITE_BLOCKED | typeof WRITE_CLOSING | typeof WRITE_CLOSED;
export const WRITE_STATE_NAMES = ['ready', 'blocked', 'closing', 'closed'] as const;

/** Connection states, as the pool counts them (stats().byState). */
export const ST_READING = 0; // waiting for or reading a request head
export const ST_BODY = 1; // reading a request body
export const ST_HANDLING = 2; // requests in flight, nothing being written
export const ST_WRITING = 3; // a response is being written (streaming, or waiting for 'drain')
export const ST_IDLE = 4; // kept alive between requests
export const ST_CLOSING = 5; // our FIN is sent (or due); lingering until the socket closes
export type ConnState = typeof ST_READING | typeof ST_BODY | typeof ST_HANDLING | typeof ST_WRITING | typeof ST_IDLE | typeof ST_CLOSING;
export const STATE_NAMES = ['reading', 'body', 'handling', 'writing', 'idle', 'closing'] as const;
export type StateName = (typeof STATE_NAMES)[number];

/** What the derivation of ConnState looks at. */
export interface SideFacts {
  write: WriteState;
  /** The front response has started (its head is written, its body streams). */
  sending: boolean;
  /** A request body is being read. */
  inBody: boolean;
  /** A request head has begun (or a new connection has not sent its first one yet). */
  inHead: boolean;
  /** Requests parsed and not yet answered. */
  inFlight: number;
}

/** The pool's view of a connection, from its two sides. Pure. */
export function connState(f: SideFacts): ConnState {
  if (f.write === WRITE_CLOSING || f.write === WRITE_CLOSED) return ST_CLOSING;
  if (f.write === WRITE_BLOCKED || f.sending) return ST_WRITING;
  if (f.inBody) return ST_BODY;
  if (f.inFlight > 0) return ST_HANDLING;
  if (f.inHead) return ST_READING;
  return ST_IDLE;
}
