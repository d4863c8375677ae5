// The states of a connection (connection-states.ts) and of an exchange (exchange.ts): the pool's view derived
// from both sides, and the exact table of legal exchange moves.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  connState,
  STATE_NAMES,
  ST_BODY,
  ST_CLOSING,
  ST_HANDLING,
  ST_IDLE,
  ST_READING,
  ST_WRITING,
  WRITE_BLOCKED,
  WRITE_CLOSED,
  WRITE_CLOSING,
  WRITE_READY,
  type ConnState,
  type SideFacts,
} from '../../lib/connection-states.js';
import {
  canMove,
  EX_DONE,
  EX_HANDLING,
  EX_READY,
  EX_SENDING,
  EXCHANGE_STATE_NAMES,
  Exchange,
  IllegalTransitionError,
  type ExchangeOwner,
  type ExchangeState,
} from '../../lib/exchange.js';

const QUIET: SideFacts = { write: WRITE_READY, sending: false, inBody: false, inHead: false, inFlight: 0 };

test('connState: one fact at a time', () => {
  const rows: [Partial<SideFacts>, ConnState][] = [
    [{}, ST_IDLE],
    [{ inHead: true }, ST_READING],
    [{ inFlight: 1 }, ST_HANDLING],
    [{ inBody: true }, ST_BODY],
    [{ sending: true }, ST_WRITING],
    [{ write: WRITE_BLOCKED }, ST_WRITING],
    [{ write: WRITE_CLOSING }, ST_CLOSING],
    [{ write: WRITE_CLOSED }, ST_CLOSING],
  ];
  for (const [facts, expected] of rows) {
    assert.is(STATE_NAMES[connState({ ...QUIET, ...facts })], STATE_NAMES[expected], JSON.stringify(facts));
  }
});

test('connState: closing > writing > body > handling > reading > idle, over every combination', () => {
  for (const write of [WRITE_READY, WRITE_BLOCKED, WRITE_CLOSING, WRITE_CLOSED] as const) {
    for (const sending of [false, true]) {
      for (const inBody of [false, true]) {
        for (const inHead of [false, true]) {
          for (const inFlight of [0, 1, 3]) {
            const facts = { write, sending, inBody, inHead, inFlight };
            let expected: ConnState = ST_IDLE;
            if (write === WRITE_CLOSING || write === WRITE_CLOSED) expected = ST_CLOSING;
            else if (write === WRITE_BLOCKED || sending) expected = ST_WRITING;
            else if (inBody) expected = ST_BODY;
            else if (inFlight > 0) expected = ST_HANDLING;
            else if (inHead) expected = ST_READING;
            assert.is(STATE_NAMES[connState(facts)], STATE_NAMES[expected], JSON.stringify(facts));
          }
        }
      }
    }
  }
});

const EX_STATES: readonly ExchangeState[] = [EX_HANDLING, EX_READY, EX_SENDING, EX_DONE];

test('canMove: exactly the legal moves of the 4×4 table', () => {
  const legal = new Set([
    'handling→ready',
    'handling→done',
    'ready→ready', // an error replaces an answer not yet sent
    'ready→sending',
    'ready→done',
    'sending→ready', // a stream that failed before its first byte answers 500
    'sending→done',
  ]);
  const seen: string[] = [];
  for (const from of EX_STATES) {
    for (const to of EX_STATES) {
      if (canMove(from, to)) seen.push(`${EXCHANGE_STATE_NAMES[from]}→${EXCHANGE_STATE_NAMES[to]}`);
    }
  }
  assert.equal(seen, [...legal]);
});

const OWNER: ExchangeOwner = { settled() {}, failed() {}, bodyRequested() {}, bodyDrained() {} };

function exchange(): Exchange {
  return Exchange.forRequest(OWNER, { isHead: false, http11: true, keepAlive: true, contentLength: -1, hasBody: false });
}

test('moveTo: legal moves go through', () => {
  const ex = exchange();
  for (const to of [EX_READY, EX_READY, EX_SENDING, EX_READY, EX_SENDING, EX_DONE] as const) {
    ex.moveTo(to);
    assert.is(ex.state, to);
  }
});

test('moveTo: an illegal move throws IllegalTransitionError where moves are checked', () => {
  if (process.env.H1W_CHECK_STATES !== '1') {
    console.warn('skipped: moves are only checked with H1W_CHECK_STATES=1 (npm test sets it)');
    return;
  }
  for (const from of EX_STATES) {
    for (const to of EX_STATES) {
      if (canMove(from, to)) continue;
      const ex = exchange();
      ex.state = from;
      const move = `${EXCHANGE_STATE_NAMES[from]}→${EXCHANGE_STATE_NAMES[to]}`;
      let thrown: unknown = null;
      try {
        ex.moveTo(to);
      } catch (error) {
        thrown = error;
      }
      assert.instance(thrown, IllegalTransitionError, move);
      assert.is((thrown as IllegalTransitionError).code, 'H1W_ILLEGAL_TRANSITION');
      assert.is((thrown as Error).message, `exchange cannot move from ${EXCHANGE_STATE_NAMES[from]} to ${EXCHANGE_STATE_NAMES[to]}`);
      assert.is(ex.state, from, `${move}: the state is unchanged`);
    }
  }
});

test.run();
