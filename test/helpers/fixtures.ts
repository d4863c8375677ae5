// Small fixtures shared by the unit tests: a request head made by hand, and the error a promise rejects with.
import * as assert from 'uvu/assert';
import { HeadFields } from '../../lib/head-fields.js';
import type { RequestHead } from '../../lib/request-rules.js';

/** A GET / HTTP/1.1 head, keep-alive, no body; `fields` override any part of it. */
export function requestHead(rawHeaders: string[], fields: Partial<RequestHead> = {}): RequestHead {
  return {
    method: 'GET',
    target: '/',
    versionMajor: 1,
    versionMinor: 1,
    fields: HeadFields.fromRaw(rawHeaders),
    keepAlive: true,
    contentLength: -1,
    chunked: false,
    expectContinue: false,
    unknownExpectation: null,
    upgrade: null,
    ...fields,
  };
}

/** The error `promise` rejects with; fails the test when it resolves. */
export async function rejects(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.unreachable('expected a rejection');
  return undefined;
}
