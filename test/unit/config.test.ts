// resolveConfig: defaults, validation of every numeric option, serializers, flags, connection lines.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolveConfig, type ServerOptions } from '../../lib/config.js';
import type { Request } from '../../lib/request.js';
import { json } from '../../lib/serializers/json.js';
import type { Serializer } from '../../lib/serializers/serializer.js';
import { text } from '../../lib/serializers/text.js';

test('defaults: the documented limits (limits.ts)', () => {
  const c = resolveConfig({});
  assert.equal(c.parserLimits, {
    maxHeaderSize: 16 * 1024,
    maxRequestLineSize: 8 * 1024,
    maxHeaderCount: 256,
    maxBodySize: 1024 * 1024,
    maxChunkOverhead: 16 * 1024,
  });
  assert.is(c.bodyLimit, null);
  assert.is(c.keepAliveTimeout, 5000);
  assert.is(c.keepAliveBuffer, 1000);
  assert.is(c.headersTimeout, 10_000);
  assert.is(c.requestTimeout, 30_000);
  assert.is(c.writeTimeout, 30_000);
  assert.is(c.closeLinger, 2000);
  assert.is(c.highWaterMark, 64 * 1024);
  assert.is(c.maxPipelineDepth, 16);
  assert.is(c.maxDiscardSize, 256 * 1024);
  assert.is(c.maxConnections, 0);
  assert.is(c.maxRequestsPerConnection, 0);
  assert.is(c.continueAtOnce, false);
  assert.is(c.allowHalfOpen, false);
  assert.is(c.serverTiming, false);
  assert.is(c.serialize.strictAccept, false);
  assert.is(c.serialize.serializers.length, 1);
  assert.is(c.serialize.serializers[0]!.contentType, 'application/json');
  assert.equal(c.lines, { keepAlive: 'Connection: keep-alive\r\nKeep-Alive: timeout=5\r\n', close: 'Connection: close\r\n' });
});

test('numbers given are used; fractions are floored', () => {
  const c = resolveConfig({
    maxHeaderSize: 1000,
    maxRequestLineSize: 100.9,
    maxHeaderCount: 10,
    maxBodySize: 0,
    maxChunkOverhead: 64,
    keepAliveTimeout: 0,
    keepAliveBuffer: 0,
    headersTimeout: 1,
    requestTimeout: 2,
    writeTimeout: 3,
    closeLinger: 4,
    highWaterMark: 1,
    maxPipelineDepth: 1,
    maxDiscardSize: 0,
    maxConnections: 5,
    maxRequestsPerConnection: 6,
  });
  assert.equal(c.parserLimits, { maxHeaderSize: 1000, maxRequestLineSize: 100, maxHeaderCount: 10, maxBodySize: 0, maxChunkOverhead: 64 });
  assert.equal(
    [c.keepAliveTimeout, c.keepAliveBuffer, c.headersTimeout, c.requestTimeout, c.writeTimeout, c.closeLinger],
    [0, 0, 1, 2, 3, 4],
  );
  assert.equal([c.highWaterMark, c.maxPipelineDepth, c.maxDiscardSize, c.maxConnections, c.maxRequestsPerConnection], [1, 1, 0, 5, 6]);
});

test('each option refuses negatives, NaN, infinities, non-numbers and values below its minimum', () => {
  const minimums: Record<string, number> = {
    maxHeaderSize: 64,
    maxRequestLineSize: 16,
    maxHeaderCount: 1,
    maxBodySize: 0,
    maxChunkOverhead: 64,
    keepAliveTimeout: 0,
    keepAliveBuffer: 0,
    headersTimeout: 0,
    requestTimeout: 0,
    writeTimeout: 0,
    closeLinger: 0,
    highWaterMark: 1,
    maxPipelineDepth: 1,
    maxDiscardSize: 0,
    maxConnections: 0,
    maxRequestsPerConnection: 0,
  };
  for (const [name, min] of Object.entries(minimums)) {
    resolveConfig({ [name]: min } as ServerOptions);
    for (const bad of [min - 1, -1, NaN, Infinity, -Infinity, '10', null, true]) {
      try {
        resolveConfig({ [name]: bad } as unknown as ServerOptions);
        assert.unreachable(`${name}: ${String(bad)} accepted`);
      } catch (error) {
        assert.ok(error instanceof TypeError, `${name}: ${String(bad)}: ${String(error)}`);
        assert.ok((error as Error).message.includes(name), (error as Error).message);
      }
    }
  }
});

test('the advertised keep-alive timeout is in whole seconds, rounded down', () => {
  assert.is(resolveConfig({ keepAliveTimeout: 1999 }).lines.keepAlive, 'Connection: keep-alive\r\nKeep-Alive: timeout=1\r\n');
  assert.is(resolveConfig({ keepAliveTimeout: 65_000 }).lines.keepAlive, 'Connection: keep-alive\r\nKeep-Alive: timeout=65\r\n');
  assert.is(resolveConfig({ keepAliveTimeout: 999 }).lines.keepAlive, 'Connection: keep-alive\r\n');
  assert.is(resolveConfig({ keepAliveTimeout: 0 }).lines.keepAlive, 'Connection: keep-alive\r\n');
});

test('maxBodySize as a function: a per-request limit, the parser\'s own limit off', () => {
  const limit = (req: Request): number => (req.path === '/upload' ? 1e9 : 10);
  const c = resolveConfig({ maxBodySize: limit });
  assert.is(c.bodyLimit, limit);
  assert.ok(c.parserLimits.maxBodySize >= Number.MAX_SAFE_INTEGER);
});

test('serializers: one or several, the first the default; each is checked', () => {
  const t = text();
  const j = json();
  assert.equal(resolveConfig({ serializers: t }).serialize.serializers, [t]);
  const both = resolveConfig({ serializers: [t, j], strictAccept: true });
  assert.equal(both.serialize.serializers, [t, j]);
  assert.is(both.serialize.strictAccept, true);
  assert.throws(() => resolveConfig({ serializers: [] }), TypeError);
  assert.throws(() => resolveConfig({ serializers: { name: 'x', contentType: 'a/b' } as Serializer }), TypeError);
  assert.throws(() => resolveConfig({ serializers: [t, { name: '', contentType: 'a/b', serialize: () => '' }] }), TypeError);
});

test('flags', () => {
  assert.is(resolveConfig({ continue: 'immediately' }).continueAtOnce, true);
  assert.is(resolveConfig({ continue: 'on-read' }).continueAtOnce, false);
  assert.is(resolveConfig({ serverTiming: true }).serverTiming, true);
  assert.is(resolveConfig({ allowHalfOpen: true }).allowHalfOpen, true);
});

test.run();
