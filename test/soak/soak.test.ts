// The soak harness in npm test, for about ten seconds: the demo in its own process under every kind of load
// the harness drives (keep-alive, churn, aborts at random stages, slow readers, pipelines, uploads with and
// without 100-continue, malformed requests), then drained. Nothing unexpected on the client side, every kind
// of load actually ran, the demo alive throughout and clean on SIGTERM, connections and descriptors back where
// they started, memory within the harness's bounds. `npm run soak` is the same for minutes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_LIMITS, formatReport, soak } from './harness.js';

test('ten seconds of mixed load: nothing malformed or unexpected, nothing left open, nothing grown', async () => {
  // Eight seconds cannot tell a plateau from a slope, and Node 24 takes longer than that to reach its working
  // size: RSS is only held to a coarse bound here (bodies kept whole, or tens of KB kept per request, break it),
  // the heap floor to the default one; `npm run soak` judges minutes with the default limits.
  const limits = { ...DEFAULT_LIMITS, rssMargin: 160 * 1024 * 1024 };
  const report = await soak({ durationMs: 8000, warmupMs: 1500, settleMs: 1000, seed: 20_260_127 }, limits);
  const text = formatReport(report);
  assert.equal(report.failures, [], text);
  assert.equal(report.unexpected, {}, text);
  for (const kind of ['keep-alive', 'churn', 'pipeline', 'upload', 'slow-reader']) {
    assert.ok((report.checked[kind] ?? 0) > 0, `no ${kind} response was checked\n${text}`);
  }
  const aborts = Object.entries(report.expected).filter(([k]) => k.startsWith('abort ')).reduce((n, [, v]) => n + v, 0);
  assert.ok(aborts >= 10, `only ${aborts} aborts\n${text}`);
  assert.ok(Object.keys(report.expected).some((k) => k.startsWith('refused ')), `no malformed request was refused\n${text}`);
  assert.not.ok(report.demo.diedDuringRun);
  assert.is(report.demo.exit, 'exit code 0');
  assert.is(report.connections.end, 0);
  assert.ok(report.fds.start > 0 && report.fds.end === report.fds.start, text);
  assert.ok(report.connections.peak >= 5, `the load never had several connections open\n${text}`);
  // Every request the server counted was a response it finished, or one whose client left on purpose.
  assert.ok(report.server.requests >= report.server.responses, text);
  assert.ok(report.server.closes['protocol-error'] !== undefined && report.server.closes['protocol-error'] > 0, text);
});

test.run();
