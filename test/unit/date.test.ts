// The Date header value: IMF-fixdate (RFC 9110 §5.6.7), cached within a second.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { httpDate } from '../../lib/date.js';

const IMF_FIXDATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT$/;

test('IMF-fixdate, within a second of now', () => {
  const before = Math.floor(Date.now() / 1000) * 1000;
  const value = httpDate();
  const after = Date.now();
  assert.match(value, IMF_FIXDATE);
  const t = Date.parse(value);
  assert.ok(t >= before - 1000 && t <= after, `${value} is not now`);
});

test('the value follows the clock across a second boundary', async () => {
  const first = httpDate();
  assert.is(httpDate(), first);
  // Wait past the next second boundary (at most a little over one second).
  await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 30));
  const second = httpDate();
  assert.match(second, IMF_FIXDATE);
  assert.is.not(second, first);
  assert.ok(Date.parse(second) > Date.parse(first));
});

test.run();
