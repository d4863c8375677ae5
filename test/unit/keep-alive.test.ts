// Keep or close (keep-alive.ts), as tables of facts and the verdict each must give (after h11's keep-alive
// tests). closeAfterResponse: the first reason that holds wins, so each row adds one fact to the one before.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  closeAfterResponse,
  closeAtHead,
  release,
  RELEASE_AND_CLOSE,
  RELEASE_NOW,
  RELEASE_WAIT,
  remainingBody,
  unreadAtFrame,
  type HeadFacts,
  type Release,
  type ResponseFacts,
  type ReleaseFacts,
  type UnreadFacts,
} from '../../lib/keep-alive.js';
import type { CloseReason } from '../../lib/stages.js';

const HEAD: HeadFacts = { keepAlive: true, requests: 1, maxRequests: 0, shuttingDown: false };

test('closeAtHead: the table', () => {
  const rows: [Partial<HeadFacts>, CloseReason | null][] = [
    [{}, null],
    [{ requests: 99 }, null], // no limit
    [{ requests: 2, maxRequests: 3 }, null],
    [{ requests: 3, maxRequests: 3 }, 'max-requests'],
    [{ requests: 4, maxRequests: 3 }, 'max-requests'],
    [{ shuttingDown: true }, 'server-closing'],
    [{ keepAlive: false }, 'client-asked'],
    // precedence: client-asked > max-requests > server-closing
    [{ keepAlive: false, requests: 3, maxRequests: 3, shuttingDown: true }, 'client-asked'],
    [{ requests: 3, maxRequests: 3, shuttingDown: true }, 'max-requests'],
  ];
  for (const [facts, expected] of rows) {
    assert.is(closeAtHead({ ...HEAD, ...facts }), expected, JSON.stringify(facts));
  }
});

const RESPONSE: ResponseFacts = {
  keepAlive: true,
  responseCloses: false,
  closeDelimited: false,
  isHead: false,
  shuttingDown: false,
  unreadBody: 0,
  maxDiscard: 100,
};

test('closeAfterResponse: each reason alone', () => {
  const rows: [Partial<ResponseFacts>, CloseReason | null][] = [
    [{}, null],
    [{ keepAlive: false }, 'client-asked'],
    [{ responseCloses: true }, 'response-close'],
    [{ closeDelimited: true }, 'close-delimited'],
    [{ closeDelimited: true, isHead: true }, null], // a HEAD answer has no body to delimit
    [{ isHead: true }, null],
    [{ shuttingDown: true }, 'server-closing'],
    [{ unreadBody: 100 }, null], // exactly maxDiscard is still skipped
    [{ unreadBody: 101 }, 'unread-body'],
    [{ unreadBody: Infinity }, 'unread-body'], // chunked: unknown
    [{ unreadBody: Infinity, maxDiscard: Infinity }, null],
  ];
  for (const [facts, expected] of rows) {
    assert.is(closeAfterResponse({ ...RESPONSE, ...facts }), expected, JSON.stringify(facts));
  }
});

test('closeAfterResponse: the first reason that holds wins', () => {
  // From every fact true down to none: removing the winning fact exposes the next reason in order.
  const order: [Partial<ResponseFacts>, CloseReason][] = [
    [{ keepAlive: false }, 'client-asked'],
    [{ responseCloses: true }, 'response-close'],
    [{ closeDelimited: true }, 'close-delimited'],
    [{ shuttingDown: true }, 'server-closing'],
    [{ unreadBody: 1000 }, 'unread-body'],
  ];
  for (let i = 0; i < order.length; i++) {
    const facts = Object.assign({}, RESPONSE, ...order.slice(i).map(([f]) => f)) as ResponseFacts;
    assert.is(closeAfterResponse(facts), order[i]![1], `facts from ${order[i]![1]} on`);
  }
});

const RELEASE: ReleaseFacts = { requestComplete: false, hasBody: true, continueWanted: false, received: 0, highWaterMark: 10 };

test('release: the table', () => {
  const rows: [Partial<ReleaseFacts>, Release][] = [
    [{ requestComplete: true }, RELEASE_NOW],
    [{ hasBody: false }, RELEASE_NOW],
    [{ requestComplete: true, continueWanted: true }, RELEASE_NOW], // complete wins over a 100 never sent
    [{ hasBody: false, continueWanted: true }, RELEASE_NOW],
    [{}, RELEASE_WAIT],
    [{ received: 9 }, RELEASE_WAIT],
    [{ received: 10 }, RELEASE_NOW], // at the high-water mark: clearly streamed
    [{ received: 11 }, RELEASE_NOW],
    [{ continueWanted: true }, RELEASE_AND_CLOSE],
    [{ continueWanted: true, received: 50 }, RELEASE_AND_CLOSE],
  ];
  for (const [facts, expected] of rows) {
    assert.is(release({ ...RELEASE, ...facts }), expected, JSON.stringify(facts));
  }
});

test('remainingBody: Content-Length minus what came; Infinity when chunked', () => {
  const rows: [number, number, number][] = [
    [10, 0, 10],
    [10, 4, 6],
    [10, 10, 0],
    [0, 0, 0],
    [-1, 0, Infinity],
    [-1, 12345, Infinity],
  ];
  for (const [length, received, expected] of rows) assert.is(remainingBody(length, received), expected, `${length}, ${received}`);
});

const UNREAD: UnreadFacts = { requestComplete: false, hasBody: true, reading: false, cancelled: false, wholeResponse: true, contentLength: 100, received: 30 };

test('unreadAtFrame: the rest nobody reads once the response is sent, and only that', () => {
  const rows: [Partial<UnreadFacts>, number][] = [
    [{}, 70], // never read
    [{ requestComplete: true }, 0],
    [{ hasBody: false }, 0],
    [{ contentLength: -1 }, Infinity], // chunked: unknown
    [{ reading: true }, 70], // read in part, answered whole: dropped once written
    [{ reading: true, cancelled: true }, 70],
    [{ cancelled: true, wholeResponse: false }, 70], // cancelled: nobody reads it, even for a stream
    [{ wholeResponse: false }, 70], // a stream, but the handler never began reading
    [{ reading: true, wholeResponse: false }, 0], // a stream that may be echoing it: counts as read
    [{ reading: true, wholeResponse: false, contentLength: -1 }, 0],
  ];
  for (const [facts, expected] of rows) {
    assert.is(unreadAtFrame({ ...UNREAD, ...facts }), expected, JSON.stringify(facts));
  }
});

test.run();
