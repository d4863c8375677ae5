// Preloaded (`node --import …/loop-hook.js`) into both servers of the latency-under-big-payloads scenario
// only: it watches the server's own event loop (monitorEventLoopDelay) and its garbage-collection pauses
// (a PerformanceObserver on 'gc'), and on SIGUSR2 prints what it saw since the previous SIGUSR2 on stderr,
// then starts over. It explains a p99 (what blocked the loop: the server's work or the collector); it adds
// a timer and an observer and nothing else, to both servers alike.
import { monitorEventLoopDelay, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';

const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();
let since = performance.now();
let gcMs = 0;
let gcMaxMs = 0;
let gcCount = 0;
let minorMs = 0;

new PerformanceObserver((list) => {
  for (const entry of list.getEntries() as (PerformanceEntry & { detail?: { kind?: number } })[]) {
    gcMs += entry.duration;
    gcCount++;
    if (entry.duration > gcMaxMs) gcMaxMs = entry.duration;
    if (entry.detail?.kind === 1) minorMs += entry.duration; // NODE_PERFORMANCE_GC_MINOR (scavenge)
  }
}).observe({ entryTypes: ['gc'] });

process.on('SIGUSR2', () => {
  const now = performance.now();
  const sample = {
    ms: now - since,
    delayP50: delay.percentile(50) / 1e6,
    delayP99: delay.percentile(99) / 1e6,
    delayMax: delay.max / 1e6,
    gcMs,
    gcMaxMs,
    gcCount,
    minorMs,
  };
  process.stderr.write(`H1WIRE_BENCH_LOOP ${JSON.stringify(sample)}\n`);
  delay.reset();
  since = now;
  gcMs = 0;
  gcMaxMs = 0;
  gcCount = 0;
  minorMs = 0;
});
