// Errors: status, stable code, whether the connection closes, what the client is told.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  BadRequestError,
  BodyDiscardedError,
  ConnectionClosedError,
  ContentTooLargeError,
  errorBody,
  ExpectationFailedError,
  HandlerError,
  HeadersTooLargeError,
  HttpError,
  InvalidResponseError,
  NotAcceptableError,
  NotImplementedError,
  RequestTimeoutError,
  SerializeError,
  ServiceUnavailableError,
  StreamAbortedError,
  toHttpError,
  UriTooLongError,
  VersionNotSupportedError,
} from '../../lib/errors.js';

test('HttpError defaults: reason phrase message, H1W_HTTP_<status> code, keeps the connection', () => {
  const e = new HttpError(404);
  assert.ok(e instanceof Error);
  assert.is(e.status, 404);
  assert.is(e.message, 'Not Found');
  assert.is(e.code, 'H1W_HTTP_404');
  assert.is(e.closesConnection, false);
  assert.is(e.expose, true);
  assert.is(e.headers, undefined);
  assert.is(e.name, 'HttpError');
  assert.is(e.cause, undefined);
  assert.is(new HttpError(500).expose, false, '5xx messages stay private by default');
  assert.is(new HttpError(499).expose, true);
});

test('HttpError options', () => {
  const cause = new Error('root');
  const e = new HttpError(503, 'later', { code: 'MY_CODE', closesConnection: true, expose: true, headers: { 'Retry-After': '5' }, cause });
  assert.is(e.message, 'later');
  assert.is(e.code, 'MY_CODE');
  assert.is(e.closesConnection, true);
  assert.is(e.expose, true);
  assert.equal(e.headers, { 'Retry-After': '5' });
  assert.is(e.cause, cause);
  assert.is(new HttpError(400, 'x', { expose: false }).expose, false);
});

test('protocol errors: status, code, and they close the connection', () => {
  const cases: [HttpError, number, string, string][] = [
    [new BadRequestError('bad'), 400, 'H1W_BAD_REQUEST', 'BadRequestError'],
    [new BadRequestError('bad', 'H1W_BAD_HOST'), 400, 'H1W_BAD_HOST', 'BadRequestError'],
    [new RequestTimeoutError('slow', 'H1W_HEADERS_TIMEOUT'), 408, 'H1W_HEADERS_TIMEOUT', 'RequestTimeoutError'],
    [new ContentTooLargeError('big'), 413, 'H1W_BODY_TOO_LARGE', 'ContentTooLargeError'],
    [new ContentTooLargeError('big', 'H1W_CHUNK_OVERHEAD_TOO_LARGE'), 413, 'H1W_CHUNK_OVERHEAD_TOO_LARGE', 'ContentTooLargeError'],
    [new UriTooLongError('long'), 414, 'H1W_URI_TOO_LONG', 'UriTooLongError'],
    [new HeadersTooLargeError('many'), 431, 'H1W_HEADERS_TOO_LARGE', 'HeadersTooLargeError'],
    [new NotImplementedError('no'), 501, 'H1W_NOT_IMPLEMENTED', 'NotImplementedError'],
    [new VersionNotSupportedError('h2'), 505, 'H1W_VERSION_NOT_SUPPORTED', 'VersionNotSupportedError'],
    [new ServiceUnavailableError('full'), 503, 'H1W_SERVICE_UNAVAILABLE', 'ServiceUnavailableError'],
  ];
  for (const [e, status, code, name] of cases) {
    assert.ok(e instanceof HttpError, name);
    assert.is(e.status, status, name);
    assert.is(e.code, code, name);
    assert.is(e.closesConnection, true, name);
    assert.is(e.name, name);
  }
  // These 5xx explain themselves to the client.
  assert.ok(new NotImplementedError('x').expose);
  assert.ok(new VersionNotSupportedError('x').expose);
  assert.ok(new ServiceUnavailableError('x').expose);
});

test('handler-level errors keep the connection', () => {
  assert.is(new ExpectationFailedError('e', false).closesConnection, false);
  assert.is(new ExpectationFailedError('e', true).closesConnection, true);
  assert.is(new ExpectationFailedError('e', false).status, 417);
  const na = new NotAcceptableError('none');
  assert.is(na.status, 406);
  assert.is(na.code, 'H1W_NOT_ACCEPTABLE');
  assert.is(na.closesConnection, false);
  const cause = new TypeError('boom');
  const handler = new HandlerError(cause);
  assert.is(handler.status, 500);
  assert.is(handler.code, 'H1W_HANDLER_ERROR');
  assert.is(handler.cause, cause);
  assert.is(handler.expose, false);
  const ser = new SerializeError('json', cause);
  assert.is(ser.status, 500);
  assert.is(ser.code, 'H1W_SERIALIZE_FAILED');
  assert.ok(ser.message.includes('json'));
  const inv = new InvalidResponseError('bad header');
  assert.is(inv.status, 500);
  assert.is(inv.code, 'H1W_INVALID_RESPONSE');
  assert.is(inv.expose, false);
  assert.is(new InvalidResponseError('x', 'H1W_INVALID_STATUS').code, 'H1W_INVALID_STATUS');
});

test('StreamAbortedError: never answered, carries a code and a cause', () => {
  const cause = new Error('source died');
  const e = new StreamAbortedError('failed', 'H1W_STREAM_FAILED', cause);
  assert.ok(e instanceof Error);
  assert.not.ok(e instanceof HttpError);
  assert.is(e.name, 'StreamAbortedError');
  assert.is(e.code, 'H1W_STREAM_FAILED');
  assert.is(e.cause, cause);
  assert.is(new StreamAbortedError('m', 'H1W_LENGTH_MISMATCH').cause, undefined);
});

test('ConnectionClosedError: an abort (name AbortError) with a stable code and who closed; never an HttpError', () => {
  const gone = new ConnectionClosedError('client-closed', false);
  assert.ok(gone instanceof Error);
  assert.not.ok(gone instanceof HttpError);
  assert.is(gone.name, 'AbortError');
  assert.is(gone.code, 'H1W_CONNECTION_CLOSED');
  assert.is(gone.reason, 'client-closed');
  assert.match(gone.message, /closed \(client-closed\)/);
  assert.match(new ConnectionClosedError('server-closing', true).message, /closing \(server-closing\)/);
});

test('BodyDiscardedError: what a reader of a dropped body gets, with a stable code', () => {
  const e = new BodyDiscardedError();
  assert.not.ok(e instanceof HttpError);
  assert.is(e.name, 'BodyDiscardedError');
  assert.is(e.code, 'H1W_BODY_DISCARDED');
});

test('toHttpError: HttpErrors pass, anything else becomes a 500 with the original as cause', () => {
  const http = new HttpError(409);
  assert.is(toHttpError(http), http);
  for (const thrown of [new Error('x'), 'a string', 42, null, undefined]) {
    const e = toHttpError(thrown);
    assert.ok(e instanceof HandlerError);
    assert.is(e.status, 500);
    assert.is(e.cause, thrown);
  }
});

test('errorBody: JSON with status, code and message; private messages replaced by the reason phrase', () => {
  assert.equal(JSON.parse(errorBody(new BadRequestError('missing Host', 'H1W_BAD_HOST'))), {
    error: { status: 400, code: 'H1W_BAD_HOST', message: 'missing Host' },
  });
  const secret = new HandlerError(new Error('password=hunter2'));
  const body = errorBody(secret);
  assert.equal(JSON.parse(body), { error: { status: 500, code: 'H1W_HANDLER_ERROR', message: 'Internal Server Error' } });
  assert.not.ok(body.includes('hunter2'));
  assert.is(JSON.parse(errorBody(new HttpError(500, 'db down: 10.0.0.1'))).error.message, 'Internal Server Error');
  assert.is(JSON.parse(errorBody(new NotImplementedError('no CONNECT'))).error.message, 'no CONNECT');
  // Quotes and control characters survive as JSON.
  assert.is(JSON.parse(errorBody(new HttpError(400, 'a "b"\n'))).error.message, 'a "b"\n');
});

test.run();
