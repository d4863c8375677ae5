// Preloaded (`node --expose-gc --import …/gc-hook.js`) into a server process for the memory scenario only:
// on SIGUSR2 it runs a full garbage collection and prints the process's memory on stderr, so that the
// runner compares live memory rather than garbage that happens not to be collected yet. It adds a signal
// handler and nothing else; the server's own code is untouched.
const gc = (globalThis as { gc?: () => void }).gc;

process.on('SIGUSR2', () => {
  if (gc !== undefined) {
    gc();
    gc(); // a second pass collects what the first one's finalizers released
  }
  const m = process.memoryUsage();
  process.stderr.write(`H1WIRE_BENCH_MEMORY ${JSON.stringify({ rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, gc: gc !== undefined })}\n`);
});
