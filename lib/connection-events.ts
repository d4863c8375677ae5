// A connection's socket events, with one listener function per event for every socket. A closure per socket
// and event (five, with their shared context) cost ~360 bytes per connection, idle or not; a WeakMap entry
// from the socket to its connection costs ~40 and is found in O(1) (nothing is stashed on the socket). The
// listeners run as the socket's own methods (`this` is the socket), so the lookup is all they add.
import type { Socket } from 'node:net';
import type { Connection } from './connection.js';

/** The connection each listened-to socket belongs to. Weak: a socket that is gone takes its entry with it. */
const owners = new WeakMap<Socket, Connection>();

function onData(this: Socket, chunk: Buffer): void {
  owners.get(this)?.received(chunk);
}

function onEnd(this: Socket): void {
  owners.get(this)?.ended();
}

function onError(this: Socket, error: NodeJS.ErrnoException): void {
  owners.get(this)?.failed(error);
}

function onDrain(this: Socket): void {
  owners.get(this)?.drained();
}

function onClose(this: Socket): void {
  owners.get(this)?.closed();
}

/** Routes `socket`'s data, end, error and close to `conn`. */
export function listen(socket: Socket, conn: Connection): void {
  owners.set(socket, conn);
  socket.on('data', onData);
  socket.on('end', onEnd);
  socket.on('error', onError);
  socket.on('close', onClose);
}

/** And 'drain' (a refused connection writes one answer and never waits for a drain). */
export function listenForDrain(socket: Socket): void {
  socket.on('drain', onDrain);
}

/** Takes every listener of ours off `socket`. */
export function unlisten(socket: Socket): void {
  socket.off('data', onData);
  socket.off('end', onEnd);
  socket.off('error', onError);
  socket.off('close', onClose);
  socket.off('drain', onDrain);
  owners.delete(socket);
}
