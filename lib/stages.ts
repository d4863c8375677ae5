// Every stage can be watched: a hook per stage, a diagnostics_channel per stage (declared in one table), and
// per-request timings. When nothing watches, the connection skips all of it behind one boolean per site.
import diagnostics from 'node:diagnostics_channel';
import type { Request, RequestTimings } from './request.js';

/** The lifecycle stages, in order, and the channel each publishes on (its messages are StageEvents[stage]). */
export const CHANNELS = {
  accept: diagnostics.channel('h1wire:accept'),
  parse: diagnostics.channel('h1wire:parse'),
  handle: diagnostics.channel('h1wire:handle'),
  serialize: diagnostics.channel('h1wire:serialize'),
  frame: diagnostics.channel('h1wire:frame'),
  write: diagnostics.channel('h1wire:write'),
  drain: diagnostics.channel('h1wire:drain'),
  finish: diagnostics.channel('h1wire:finish'),
  idle: diagnostics.channel('h1wire:idle'),
  close: diagnostics.channel('h1wire:close'),
  error: diagnostics.channel('h1wire:error'),
} as const satisfies Record<StageName, diagnostics.Channel>;

export type StageName = keyof StageEvents;

/** Why a connection closed: who decided, and on what grounds (README, "Close reasons"). */
export type CloseReason =
  | 'client-closed' // the client ended its side or reset the connection
  | 'client-asked' // the request said `Connection: close` (or was HTTP/1.0 without keep-alive)
  | 'response-close' // the handler's response said `Connection: close`
  | 'close-delimited' // the response had no length: closing the connection is what ends its body
  | 'unread-body' // answered without reading a body too large to skip (or waiting for a 100 Continue)
  | 'idle-timeout'
  | 'headers-timeout'
  | 'request-timeout'
  | 'write-stalled'
  | 'protocol-error'
  | 'max-requests'
  | 'server-closing'
  | 'refused'
  | 'tls-handshake-timeout' // a TLS client did not finish its handshake within tlsHandshakeTimeout
  | 'tls-error' // a TLS handshake failed (plain HTTP on the TLS port, bad ClientHello, no shared cipher)
  | 'proxy-header' // proxyProtocol: no valid PROXY header in time (never read as HTTP)
  | 'error';

export const CLOSE_REASONS: readonly CloseReason[] = [
  'client-closed',
  'client-asked',
  'response-close',
  'close-delimited',
  'unread-body',
  'idle-timeout',
  'headers-timeout',
  'request-timeout',
  'write-stalled',
  'protocol-error',
  'max-requests',
  'server-closing',
  'refused',
  'tls-handshake-timeout',
  'tls-error',
  'proxy-header',
  'error',
];

export interface ConnectionEvent {
  connection: number;
  remoteAddress: string;
  remotePort: number;
}
export interface ParseEvent {
  request: Request;
  /** The request head as it came (request line and header lines). */
  head: string;
}
export interface HandleEvent {
  request: Request;
  durationMs: number;
  error: unknown;
}
export interface SerializeEvent {
  request: Request;
  serializer: string;
  /** Body bytes, or -1 for a streamed body. */
  bytes: number;
  durationMs: number;
}
export interface FrameEvent {
  request: Request | null;
  status: number;
  /** The response head exactly as written. */
  head: string;
  framing: 'none' | 'length' | 'chunked' | 'close';
}
export interface WriteEvent {
  connection: number;
  bytes: number;
  writes: number;
}
export interface DrainEvent {
  connection: number;
  waitedMs: number;
}
export interface FinishEvent {
  request: Request | null;
  status: number;
  bodyBytes: number;
  keepAlive: boolean;
  timings: RequestTimings | null;
}
export interface IdleEvent {
  connection: number;
  requests: number;
}
export interface CloseEvent {
  connection: number;
  reason: CloseReason;
  requests: number;
  bytesIn: number;
  bytesOut: number;
}
export interface ErrorEvent {
  connection: number;
  request: Request | null;
  error: unknown;
}

/** Each stage's event: what its hook is called with, its channel publishes and the tracer reads. */
export interface StageEvents {
  accept: ConnectionEvent;
  parse: ParseEvent;
  handle: HandleEvent;
  serialize: SerializeEvent;
  frame: FrameEvent;
  write: WriteEvent;
  drain: DrainEvent;
  finish: FinishEvent;
  idle: IdleEvent;
  close: CloseEvent;
  error: ErrorEvent;
}

export interface Hooks {
  onAccept?(event: ConnectionEvent): void;
  onHeaders?(event: ParseEvent): void;
  onHandled?(event: HandleEvent): void;
  onSerialized?(event: SerializeEvent): void;
  onFramed?(event: FrameEvent): void;
  onWrite?(event: WriteEvent): void;
  onDrain?(event: DrainEvent): void;
  onFinish?(event: FinishEvent): void;
  onIdle?(event: IdleEvent): void;
  onClose?(event: CloseEvent): void;
  onError?(event: ErrorEvent): void;
}

/** Each stage's hook in a Hooks object, typed by the stage's event (read when the event is emitted). */
const HOOK_OF: { readonly [S in StageName]: (hooks: Hooks) => ((event: StageEvents[S]) => void) | undefined } = {
  accept: (hooks) => hooks.onAccept,
  parse: (hooks) => hooks.onHeaders,
  handle: (hooks) => hooks.onHandled,
  serialize: (hooks) => hooks.onSerialized,
  frame: (hooks) => hooks.onFramed,
  write: (hooks) => hooks.onWrite,
  drain: (hooks) => hooks.onDrain,
  finish: (hooks) => hooks.onFinish,
  idle: (hooks) => hooks.onIdle,
  close: (hooks) => hooks.onClose,
  error: (hooks) => hooks.onError,
};

/** Receives every stage's event (the tracer implements it). */
export interface StageListener {
  event<S extends StageName>(stage: S, event: StageEvents[S]): void;
}

/** One stage of one server: is anybody watching it (its hook, the tracer, or a subscriber of its channel)? */
export class StageSwitch {
  readonly channel: diagnostics.Channel;
  private readonly hooked: boolean;

  constructor(channel: diagnostics.Channel, hooked: boolean) {
    this.channel = channel;
    this.hooked = hooked;
  }

  /** Checked before an event is even built: a field and a property load when nobody watches. */
  get on(): boolean {
    return this.hooked || this.channel.hasSubscribers;
  }
}

/** Where a server's stage events go. Each stage is switched on by its own hook only, so that an onFinish
 * hook does not make every other stage build its events. */
export class Observer {
  readonly hooks: Hooks;
  readonly listener: StageListener | null;
  /** Measure per-request timings even when no subscriber asks (Server-Timing, `timings: true`, the trace, or
   * a hook that reports durations). */
  readonly timingsWanted: boolean;
  readonly accept: StageSwitch;
  readonly parse: StageSwitch;
  readonly handle: StageSwitch;
  readonly serialize: StageSwitch;
  readonly frame: StageSwitch;
  readonly write: StageSwitch;
  readonly drain: StageSwitch;
  readonly finish: StageSwitch;
  readonly idle: StageSwitch;
  readonly close: StageSwitch;
  readonly error: StageSwitch;

  constructor(hooks: Hooks, listener: StageListener | null, timingsWanted: boolean) {
    this.hooks = hooks;
    this.listener = listener;
    const watched = (stage: StageName): StageSwitch =>
      new StageSwitch(CHANNELS[stage], listener !== null || typeof HOOK_OF[stage](hooks) === 'function');
    this.accept = watched('accept');
    this.parse = watched('parse');
    this.handle = watched('handle');
    this.serialize = watched('serialize');
    this.frame = watched('frame');
    this.write = watched('write');
    this.drain = watched('drain');
    this.finish = watched('finish');
    this.idle = watched('idle');
    this.close = watched('close');
    this.error = watched('error');
    const durations = [hooks.onHandled, hooks.onSerialized, hooks.onFinish].some((h) => typeof h === 'function');
    this.timingsWanted = timingsWanted || listener !== null || durations;
  }

  /** Timings for a new request: wanted by configuration, or by a subscriber of a stage that reports them. */
  timings(): boolean {
    return this.timingsWanted || CHANNELS.finish.hasSubscribers || CHANNELS.handle.hasSubscribers || CHANNELS.serialize.hasSubscribers;
  }

  emit<S extends StageName>(stage: S, event: StageEvents[S]): void {
    const channel = CHANNELS[stage];
    if (channel.hasSubscribers) channel.publish(event);
    if (this.listener !== null) this.listener.event(stage, event);
    const hook = HOOK_OF[stage](this.hooks);
    if (hook !== undefined) {
      try {
        hook(event);
      } catch (error) {
        // A hook that throws must not take a request down with it; report it once, on the error stage.
        if (stage !== 'error') this.emit('error', { connection: -1, request: null, error });
      }
    }
  }
}
