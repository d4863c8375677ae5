// The one clock every deadline and timing reads. Monotonic milliseconds since an arbitrary origin, as a
// double: performance.now() by default; a server may be given another (tests use one that starts weeks in).
import { performance } from 'node:perf_hooks';

export type Clock = () => number;

export const monotonicClock: Clock = () => performance.now();

/** The longest delay a Node.js timer takes; a longer one fires after 1 ms (TimeoutOverflowWarning). */
export const MAX_TIMER_DELAY = 2 ** 31 - 1;
