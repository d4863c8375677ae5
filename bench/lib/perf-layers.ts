// Groups perf's symbols into the layers a request's server CPU goes through (bench/load/layers.ts).
// Pure: perf report's text in, shares per layer out.

/** The layers, in the order the report lists them. */
export const LAYERS = [
  'kernel (syscalls, TCP loopback, wake-ups)',
  'Node/V8 C++ and libc (streams, string→bytes, GC, malloc)',
  'V8 builtins and generated code (ICs, regexps)',
  'Node.js internals in JS (node:net, streams)',
  'llhttp WebAssembly and its crossings',
  'h1wire JS (dist/lib, dist/native-free)',
  'application JS (Hono, the benchmark servers)',
] as const;
export type Layer = (typeof LAYERS)[number];

/** Which layer a perf symbol belongs to, from its DSO and name (perf report's `dso,sym` sort keys). */
export function layerOf(dso: string, sym: string): Layer {
  if (dso === '[kernel.kallsyms]' || dso.startsWith('[kernel')) return LAYERS[0];
  if (!dso.startsWith('[JIT]') && !dso.startsWith('perf-')) return sym.startsWith('Builtins_') ? LAYERS[2] : LAYERS[1];
  if (/wasm-function|wasm-to-js|js-to-wasm|wasm_on_/.test(sym)) return LAYERS[4];
  if (/\/dist\/(lib|native-free)\//.test(sym)) return LAYERS[5];
  if (/node_modules\/|\/dist\/bench\//.test(sym)) return LAYERS[6];
  if (/ node:/.test(sym)) return LAYERS[3];
  return LAYERS[2];
}

/** `perf report --sort dso,sym -g none --stdio` lines → total event count (ns of CPU) and share per symbol. */
export function parseReport(text: string): { eventNs: number; rows: { share: number; dso: string; sym: string }[] } {
  const count = /Event count \(approx\.\): ([0-9]+)/.exec(text);
  const rows: { share: number; dso: string; sym: string }[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s+([0-9.]+)%\s+(\[JIT\] tid [0-9]+|\S+)\s+\[[.k]\]\s+(.*)$/.exec(line);
    if (m !== null) rows.push({ share: Number(m[1]) / 100, dso: m[2] as string, sym: (m[3] as string).trim() });
  }
  return { eventNs: count === null ? Number.NaN : Number(count[1]), rows };
}
