// Protocol upgrade (RFC 9110 §7.8): a handler returns `upgrade((socket, head) => …)` and, when the request's
// turn comes (every response before it written), h1wire lets go of the socket: no parser, no deadline, no
// listener of its own, nothing written. `head` holds every byte read past the request's head.
import type { Socket } from 'node:net';
import type { Connection } from './connection.js';
import { WRITE_CLOSED } from './connection-states.js';
import { HttpError } from './errors.js';
import type { HeadFields } from './head-fields.js';

/** Takes over the raw socket; `head` is what was already read past the upgrade request (may be empty). */
export type UpgradeCallback = (socket: Socket, head: Buffer) => void;

/** A handler's result that hands the connection over (see `upgrade`). */
export class Upgrade {
  readonly accept: UpgradeCallback;
  constructor(accept: UpgradeCallback) {
    if (typeof accept !== 'function') throw new TypeError('upgrade() needs a function (socket, head) => void');
    this.accept = accept;
  }
}

/** Accepts an upgrade: `if (req.upgrade === 'websocket') return upgrade((socket, head) => …)`. */
export function upgrade(accept: UpgradeCallback): Upgrade {
  return new Upgrade(accept);
}

/** The answer when a handler returns `upgrade()` for a request that offers none (check `req.upgrade`). */
export function notUpgradable(): HttpError {
  return new HttpError(500, 'the handler accepted an upgrade the request did not offer', { code: 'H1W_NOT_UPGRADABLE' });
}

// h2c is HTTP/2 over cleartext: h1wire never speaks it, so an offer that names it is ignored as a whole.
const H2C = /(?:^|[\s,])h2c(?:$|[\s,/])/i;

/**
 * What a request head offers to switch to (the Upgrade field, as sent), or null when it cannot be upgraded:
 * llhttp saw no `Upgrade` + `Connection: upgrade`, the request is HTTP/1.0 (RFC 9110 §7.8: ignored), it has a
 * body (the new protocol would start after bytes we would have to read first: refused, answered as HTTP),
 * or it offers h2c.
 */
export function upgradeOffer(llhttpUpgrade: boolean, versionMinor: number, hasBody: boolean, fields: HeadFields): string | null {
  if (!llhttpUpgrade || versionMinor < 1 || hasBody) return null;
  const offer = fields.get('upgrade');
  if (offer === undefined || offer === '' || H2C.test(offer)) return null;
  return offer;
}

/** Lets go of `socket` for `accept`: no parser, deadline, state list or listener of ours stays, nothing is written. */
export function handOff(conn: Connection, socket: Socket, accept: UpgradeCallback): void {
  if (conn.rawSocket() !== socket || conn.closing) return; // gone, or closing, since the turn came
  const head = conn.reader.takeHeld();
  conn.writeState = WRITE_CLOSED;
  conn.queue.close(undefined);
  conn.deadlines.allOff();
  conn.unlink(); // from its state list
  conn.detach(socket);
  conn.host.upgraded(conn, socket);
  // As node:http does: neither paused nor flowing, so the new owner's 'data' listener starts the flow.
  (socket as { readableFlowing: boolean | null }).readableFlowing = null;
  accept(socket, head);
}
