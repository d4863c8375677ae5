// bench:layers' grouping of perf symbols into layers (bench/lib/perf-layers.ts), on perf report lines as perf
// prints them: a wrong layer would move a cost from one row of the report to another.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LAYERS, layerOf, parseReport } from '../../bench/lib/perf-layers.js';

const REPORT = `# Total Lost Samples: 0
#
# Samples: 15K of event 'cpu-clock:ppp'
# Event count (approx.): 3974000000
#
# Overhead  Shared Object      Symbol
# ........  .................  ......
#
     7.12%  [kernel.kallsyms]    [k] _raw_spin_unlock_irqrestore
     1.28%  [JIT] tid 28919      [.] JS:wasm-function[20]-20-turbofan
     1.13%  [JIT] tid 28919      [.] JS:*checkHead file:///work/main/dist/lib/request-rules.js:46:26
     0.87%  [JIT] tid 28919      [.] JS:*writeOrBuffer node:internal/streams/writable:548:23
     0.80%  libc.so.6            [.] _int_malloc
     0.75%  node                 [.] v8::internal::String::WriteToFlat<unsigned char>
     0.63%  node                 [.] Builtins_RecordWriteSaveFP
     0.33%  [JIT] tid 28919      [.] JS:wasm-to-js:iii:i-2-turbofan
     0.29%  [JIT] tid 28919      [.] JS:*wasm_on_url file:///work/main/dist/native-free/llhttp.js:51:22
     0.21%  [JIT] tid 28918      [.] JS:*#dispatch file:///work/main/node_modules/hono/dist/hono-base.js:261:11
     0.10%  [JIT] tid 28918      [.] RegExp:^[!#$%&'*+\\-.^_\`|~0-9A-Za-z]+$
`;

test('parseReport: the event count (ns of CPU sampled) and every symbol line with its share', () => {
  const { eventNs, rows } = parseReport(REPORT);
  assert.is(eventNs, 3_974_000_000);
  assert.is(rows.length, 11);
  assert.equal(rows[0], { share: 0.0712, dso: '[kernel.kallsyms]', sym: '_raw_spin_unlock_irqrestore' });
  assert.equal(rows[1], { share: 0.0128, dso: '[JIT] tid 28919', sym: 'JS:wasm-function[20]-20-turbofan' });
});

test('layerOf: kernel, C++, builtins, Node internals, llhttp, h1wire and the application apart', () => {
  const layers = parseReport(REPORT).rows.map((r) => LAYERS.indexOf(layerOf(r.dso, r.sym)));
  // kernel, wasm, h1wire, node:, libc, C++, builtin, wasm-to-js, llhttp binding, hono, regexp
  assert.equal(layers, [0, 4, 5, 3, 1, 1, 2, 4, 4, 6, 2]);
});

test.run();
