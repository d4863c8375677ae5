// Exchange: one request/response pair as it moves through the stages.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { toBodySource } from '../../lib/body-source.js';
import { CONTINUE_NONE, EX_HANDLING, Exchange, type ExchangeOwner } from '../../lib/exchange.js';
import { serializeValue } from '../../lib/serialize.js';
import { json } from '../../lib/serializers/json.js';

function owner(): ExchangeOwner & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    settled: (_ex, v) => calls.push(`settled ${String(v)}`),
    failed: (_ex, e) => calls.push(`failed ${String(e)}`),
    bodyRequested: () => calls.push('bodyRequested'),
    bodyDrained: () => calls.push('bodyDrained'),
  };
}

test('a new exchange: handling, no response, nothing to close', () => {
  const ex = Exchange.forRequest(owner(), { isHead: true, http11: false, keepAlive: false, contentLength: 12, hasBody: true });
  assert.is(ex.isHead, true);
  assert.is(ex.http11, false);
  assert.is(ex.keepAlive, false);
  assert.is(ex.contentLength, 12);
  assert.is(ex.requestComplete, false);
  assert.is(ex.state, EX_HANDLING);
  assert.is(ex.continueState, CONTINUE_NONE);
  assert.is(ex.response, null);
  assert.is(ex.source, null);
  assert.is(ex.closeAfter, false);
});

test('closeWith keeps the first reason', () => {
  const ex = Exchange.forRequest(owner(), { isHead: false, http11: true, keepAlive: true, contentLength: -1, hasBody: false });
  ex.closeWith('max-requests');
  ex.closeWith('server-closing');
  assert.is(ex.closeAfter, true);
  assert.is(ex.closeReason, 'max-requests');
});

test('outcome and body events are forwarded to the owner', () => {
  const o = owner();
  const ex = Exchange.forRequest(o, { isHead: false, http11: true, keepAlive: true, contentLength: -1, hasBody: false });
  ex.settle(1);
  ex.fail('e');
  ex.bodyRequested();
  ex.bodyDrained();
  assert.equal(o.calls, ['settled 1', 'failed e', 'bodyRequested', 'bodyDrained']);
});

test('cancelSource: cancels a streamed body once, and survives a producer that throws', () => {
  const ex = Exchange.forRequest(owner(), { isHead: false, http11: true, keepAlive: true, contentLength: -1, hasBody: false });
  ex.cancelSource('nothing to cancel');
  const res = serializeValue('whole', undefined, { serializers: [json()], strictAccept: false });
  let cancels = 0;
  res.source = { next: async () => null, cancel: () => { cancels++; throw new Error('already gone'); } };
  ex.response = res;
  assert.ok(ex.source !== null);
  ex.cancelSource(new Error('client left'));
  ex.cancelSource(new Error('again'));
  assert.is(cancels, 1);
  assert.is(ex.source, null);
  res.source = toBodySource((async function* () { yield 'x'; })());
  ex.cancelSource(undefined);
  assert.is(ex.source, null);
});

test.run();
