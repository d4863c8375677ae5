// Status codes: reason phrases, status lines, which statuses carry no content, which are valid.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isValidStatus, statusHasNoBody, statusLine, statusText } from '../../lib/status.js';

test('reason phrases of RFC 9110 §15', () => {
  const expected: Record<number, string> = {
    100: 'Continue',
    200: 'OK',
    204: 'No Content',
    304: 'Not Modified',
    400: 'Bad Request',
    404: 'Not Found',
    408: 'Request Timeout',
    413: 'Content Too Large',
    414: 'URI Too Long',
    417: 'Expectation Failed',
    422: 'Unprocessable Content',
    431: 'Request Header Fields Too Large',
    500: 'Internal Server Error',
    501: 'Not Implemented',
    503: 'Service Unavailable',
    505: 'HTTP Version Not Supported',
  };
  for (const [status, text] of Object.entries(expected)) assert.is(statusText(Number(status)), text);
  assert.is(statusText(299), '');
  assert.is(statusText(0), '');
});

test('status lines: always HTTP/1.1, SP before an empty reason too (RFC 9112 §4)', () => {
  assert.is(statusLine(200), 'HTTP/1.1 200 OK\r\n');
  assert.is(statusLine(404), 'HTTP/1.1 404 Not Found\r\n');
  assert.is(statusLine(599), 'HTTP/1.1 599 \r\n');
  assert.is(statusLine(200), statusLine(200));
  assert.is(statusLine(299), 'HTTP/1.1 299 \r\n');
});

test('statuses that never carry content: 1xx, 204, 304 (RFC 9110 §6.4.1)', () => {
  for (const s of [100, 101, 102, 103, 199, 204, 304]) assert.ok(statusHasNoBody(s), String(s));
  for (const s of [200, 201, 205, 206, 300, 301, 302, 303, 307, 400, 404, 500]) assert.not.ok(statusHasNoBody(s), String(s));
});

test('valid statuses: integers 100-599 (RFC 9110 §15)', () => {
  for (const s of [100, 200, 599]) assert.ok(isValidStatus(s), String(s));
  for (const s of [99, 600, 999, 1000, 0, -200, 200.5, NaN, Infinity, '200', null, undefined, 2e2 + 0.1]) {
    assert.not.ok(isValidStatus(s), String(s));
  }
});

test.run();
