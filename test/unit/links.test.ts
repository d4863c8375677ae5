// Intrusive linked lists and deadline lists.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DeadlineList, Link, LinkedList } from '../../lib/links.js';

function contents<T>(list: LinkedList<T>): T[] {
  return [...list];
}

/** Walks both directions and checks every pointer agrees. */
function consistent<T>(list: LinkedList<T>): void {
  const forward: Link<T>[] = [];
  for (let l = list.head; l !== null; l = l.next) forward.push(l);
  const backward: Link<T>[] = [];
  for (let l = list.tail; l !== null; l = l.prev) backward.push(l);
  assert.equal(backward.reverse(), forward);
  assert.is(forward.length, list.size);
  for (const l of forward) assert.is(l.list, list);
  if (list.size === 0) {
    assert.is(list.head, null);
    assert.is(list.tail, null);
  }
}

test('append keeps order; a link knows its list', () => {
  const list = new LinkedList<string>('l');
  assert.is(list.name, 'l');
  const a = new Link('a');
  const b = new Link('b');
  const c = new Link('c');
  assert.is(a.linked, false);
  list.append(a);
  list.append(b);
  list.append(c);
  assert.equal(contents(list), ['a', 'b', 'c']);
  assert.ok(a.linked);
  assert.is(a.owner, 'a');
  consistent(list);
});

test('remove from the head, the middle and the tail', () => {
  const list = new LinkedList<number>('l');
  const links = [1, 2, 3, 4, 5].map((n) => new Link(n));
  links.forEach((l) => list.append(l));
  list.remove(links[2]!);
  assert.equal(contents(list), [1, 2, 4, 5]);
  list.remove(links[0]!);
  assert.equal(contents(list), [2, 4, 5]);
  list.remove(links[4]!);
  assert.equal(contents(list), [2, 4]);
  consistent(list);
  assert.is(links[2]!.linked, false);
  assert.is(links[2]!.prev, null);
  assert.is(links[2]!.next, null);
  links[1]!.unlink();
  links[3]!.unlink();
  assert.equal(contents(list), []);
  consistent(list);
});

test('removing a link that is not in the list changes nothing', () => {
  const one = new LinkedList<string>('one');
  const two = new LinkedList<string>('two');
  const a = new Link('a');
  const b = new Link('b');
  one.append(a);
  two.append(b);
  one.remove(b);
  assert.equal(contents(one), ['a']);
  assert.equal(contents(two), ['b']);
  one.remove(a);
  one.remove(a);
  assert.is(one.size, 0);
  new Link('free').unlink();
  consistent(one);
  consistent(two);
});

test('appending a linked link moves it (to the tail of the same list, or to another list)', () => {
  const one = new LinkedList<string>('one');
  const two = new LinkedList<string>('two');
  const a = new Link('a');
  const b = new Link('b');
  one.append(a);
  one.append(b);
  one.append(a);
  assert.equal(contents(one), ['b', 'a']);
  two.append(a);
  assert.equal(contents(one), ['b']);
  assert.equal(contents(two), ['a']);
  assert.is(a.list, two);
  consistent(one);
  consistent(two);
});

test('iteration survives removing the current owner', () => {
  const list = new LinkedList<Link<number>>('l');
  const links: Link<Link<number>>[] = [];
  for (let i = 0; i < 5; i++) {
    const l = new Link<Link<number>>(null as unknown as Link<number>);
    (l as { owner: unknown }).owner = l;
    links.push(l);
    list.append(l);
  }
  let seen = 0;
  for (const owner of list) {
    (owner as unknown as Link<Link<number>>).unlink();
    seen++;
  }
  assert.is(seen, 5);
  assert.is(list.size, 0);
});

test('DeadlineList: arm sets now + timeout and keeps deadline order; re-arming moves to the tail', () => {
  const list = new DeadlineList<string>('d', 100);
  const a = new Link('a');
  const b = new Link('b');
  list.arm(a, 1000);
  list.arm(b, 1010);
  assert.is(a.deadline, 1100);
  assert.is(b.deadline, 1110);
  list.arm(a, 1020);
  assert.is(a.deadline, 1120);
  assert.equal(contents(list), ['b', 'a']);
  consistent(list);
});

test('DeadlineList: expire removes exactly the links due (deadline <= now), oldest first', () => {
  const list = new DeadlineList<string>('d', 50);
  const names = ['a', 'b', 'c', 'd'];
  names.forEach((n, i) => list.arm(new Link(n), i * 10));
  const expired: string[] = [];
  list.expire(59, (o) => expired.push(o));
  assert.equal(expired, ['a']);
  list.expire(70, (o) => expired.push(o));
  assert.equal(expired, ['a', 'b', 'c']);
  assert.equal(contents(list), ['d']);
  list.expire(1e9, (o) => expired.push(o));
  assert.equal(expired, ['a', 'b', 'c', 'd']);
  assert.is(list.size, 0);
  list.expire(1e9, () => assert.unreachable());
});

test('DeadlineList: an expired owner is unlinked before its callback (it may re-arm itself)', () => {
  const list = new DeadlineList<Link<string>>('d', 10);
  const link = new Link<Link<string>>(null as unknown as Link<string>);
  (link as { owner: unknown }).owner = link;
  list.arm(link, 0);
  let calls = 0;
  list.expire(10, (owner) => {
    calls++;
    assert.is((owner as unknown as Link<unknown>).linked, false);
    list.arm(owner as unknown as Link<Link<string>>, 10);
  });
  assert.is(calls, 1);
  assert.is(list.size, 1);
  assert.is(link.deadline, 20);
});

test('DeadlineList: a timeout of 0 or less never arms', () => {
  for (const timeout of [0, -5]) {
    const list = new DeadlineList<string>('d', timeout);
    const a = new Link('a');
    list.arm(a, 100);
    assert.is(a.linked, false);
    assert.is(list.size, 0);
  }
  const list = new DeadlineList<string>('d', 0);
  list.timeout = 5;
  const b = new Link('b');
  list.arm(b, 1);
  assert.is(b.deadline, 6);
});

test.run();

// Uptime past 2^31 ms (24.8 days): deadlines were once packed into int32 and wrapped negative there.
const UPTIME_PAST_INT32 = 2 ** 31 + 12_345.678;

test('deadlines past 2^31 ms of uptime expire on time, not at once', () => {
  for (const start of [UPTIME_PAST_INT32, 2 ** 32 + 0.5, 2 ** 40]) {
    const list = new DeadlineList<string>('idle', 6_000);
    list.arm(new Link('a'), start);
    const fired: string[] = [];
    list.expire(start + 1, (o) => fired.push(o));
    list.expire(start + 5_999, (o) => fired.push(o));
    assert.equal(fired, [], `nothing may expire early at uptime ${start}`);
    list.expire(start + 6_000, (o) => fired.push(o));
    assert.equal(fired, ['a'], `expires at its deadline at uptime ${start}`);
  }
});

test('a timeout of 2^31 ms or more does not wrap', () => {
  for (const timeout of [2 ** 31, 2 ** 31 + 1, 2 ** 33]) {
    const list = new DeadlineList<string>('idle', timeout);
    list.arm(new Link('a'), 1_000);
    const fired: string[] = [];
    list.expire(1_000 + timeout - 1, (o) => fired.push(o));
    assert.equal(fired, [], `timeout ${timeout} must not expire early`);
    list.expire(1_000 + timeout, (o) => fired.push(o));
    assert.equal(fired, ['a']);
  }
});
