// What a fault could leave behind in this process, measured without a heap snapshot: file descriptors, the
// active resources Node reports (ref'd sockets, servers, timers, immediates), every timer created since a
// point (unref'd ones too, which getActiveResourcesInfo does not list), process-level listeners, and
// warnings such as MaxListenersExceededWarning (an EventEmitter or AbortSignal collecting listeners).
import { createHook, type AsyncHook } from 'node:async_hooks';
import { talk } from './exact.js';
import { openFds, waitFor } from './process.js';

/** Requests in flight for a moment (a write, a close, a connect): not something that can be left behind. */
const TRANSIENT = new Set(['CloseReq', 'ShutdownWrap', 'WriteWrap', 'TCPConnectWrap', 'FSReqCallback', 'FSReqPromise', 'GetAddrInfoReqWrap']);

/** Active resources by type (e.g. { TCPSocketWrap: 2, Timeout: 1 }), transient requests left out. */
export function resourceCounts(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) if (!TRANSIENT.has(type)) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

const PROCESS_EVENTS = ['uncaughtException', 'unhandledRejection', 'warning', 'exit', 'beforeExit', 'SIGINT', 'SIGTERM'] as const;

export interface Snapshot {
  fds: number;
  resources: Record<string, number>;
  listeners: Record<string, number>;
}

export function snapshot(): Snapshot {
  const listeners: Record<string, number> = {};
  for (const name of PROCESS_EVENTS) listeners[name] = process.listenerCount(name);
  return { fds: openFds(), resources: resourceCounts(), listeners };
}

/** What `after` holds beyond `before`, as readable lines (empty when nothing was added; less is no leak). */
export function differences(before: Snapshot, after: Snapshot): string[] {
  const out: string[] = [];
  if (after.fds > before.fds) out.push(`fds ${before.fds} → ${after.fds}`);
  for (const key of Object.keys(after.resources)) {
    const a = before.resources[key] ?? 0;
    const b = after.resources[key] ?? 0;
    if (b > a) out.push(`${key} ${a} → ${b}`);
  }
  for (const key of Object.keys(before.listeners)) {
    if ((after.listeners[key] ?? 0) > (before.listeners[key] ?? 0)) out.push(`process '${key}' listeners ${before.listeners[key]} → ${after.listeners[key]}`);
  }
  return out;
}

/** Resolves true when `promise` settles within `ms`, else false; unlike a race with a sleep, no timer is left. */
export function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const settled = promise.then(
    () => true,
    () => true,
  );
  return Promise.race([settled, late]).finally(() => clearTimeout(timer));
}

interface TimerLike {
  _destroyed?: boolean;
  hasRef?(): boolean;
}

/**
 * Every Timeout created while watching (setTimeout/setInterval, ref'd or not), and how many are still live.
 * Uses async_hooks' init event only; a timer is live until it fired (non-repeating) or was cleared.
 */
export class TimerWatch {
  private readonly timers = new Map<number, { timer: TimerLike; stack: string }>();
  private readonly hook: AsyncHook;
  /** Keep a short creation stack for each timer (to say where a leaked one came from). */
  private readonly stacks: boolean;

  constructor(stacks = true) {
    this.stacks = stacks;
    this.hook = createHook({
      init: (id, type, _trigger, resource) => {
        if (type !== 'Timeout') return;
        const stack = this.stacks
          ? (new Error().stack ?? '').split('\n').slice(2).filter((line) => !line.includes('node:internal') && !line.includes('(node:')).slice(0, 5).join('\n')
          : '';
        this.timers.set(id, { timer: resource as TimerLike, stack });
      },
    });
    this.hook.enable();
  }

  /** Timers created since the watch began that are still pending. */
  live(): { count: number; stacks: string[] } {
    const stacks: string[] = [];
    for (const [id, { timer, stack }] of this.timers) {
      if (timer._destroyed === true) this.timers.delete(id);
      else stacks.push(stack);
    }
    return { count: stacks.length, stacks };
  }

  stop(): void {
    this.hook.disable();
    this.timers.clear();
  }
}

/** Collects process warnings (MaxListenersExceededWarning and the like) and unhandled rejections. */
export class ProcessWatch {
  readonly warnings: string[] = [];
  readonly rejections: unknown[] = [];
  private readonly onWarning = (warning: Error): void => {
    this.warnings.push(`${warning.name}: ${warning.message}`);
  };
  private readonly onRejection = (reason: unknown): void => {
    this.rejections.push(reason);
  };

  constructor() {
    process.on('warning', this.onWarning);
    process.on('unhandledRejection', this.onRejection);
  }

  stop(): void {
    process.off('warning', this.onWarning);
    process.off('unhandledRejection', this.onRejection);
  }
}

/**
 * Waits (up to timeoutMs) until the process is back to `before`: same descriptors, same active resources, same
 * process listeners, and (when a watch is given) no timer created since then still pending. Returns what is
 * still different (empty: nothing leaked).
 */
export async function settledTo(before: Snapshot, timeoutMs: number, timers?: TimerWatch): Promise<string[]> {
  let problems: string[] = [];
  await waitFor(() => {
    problems = differences(before, snapshot());
    if (timers !== undefined) {
      const live = timers.live();
      if (live.count > 0) problems.push(`${live.count} timer(s) still pending, created at:\n${live.stacks.join('\n--\n')}`);
    }
    return problems.length === 0;
  }, timeoutMs, 25);
  return problems;
}

/** What a fault test compares against: a snapshot taken after a warm-up, and the watches started with it. */
export interface Watching {
  baseline: Snapshot;
  timers: TimerWatch;
  watch: ProcessWatch;
}

/**
 * Warms the server up with one request on a connection it closes (WebAssembly compiled, the Date cache timer
 * started and expired, lazily made objects made), then starts watching for leaks from that point.
 */
export async function warmThenWatch(port: number, openConnections: () => number): Promise<Watching> {
  await talk(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', { untilClose: true });
  await waitFor(() => openConnections() === 0, 2000);
  await new Promise((r) => setTimeout(r, 1100)); // the Date cache timer (at most a second)
  return { watch: new ProcessWatch(), baseline: snapshot(), timers: new TimerWatch() };
}
