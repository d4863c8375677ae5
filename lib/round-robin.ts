// cluster.ts's round-robin balance: the primary listens and hands each accepted TCP socket, unread, to the next
// worker over its IPC channel (workers do not listen). It replaces node:cluster's own round-robin, which drops
// connections on shutdown: when the last worker closes its server, node:cluster closes the connections it still
// holds for workers and those it was handing to a worker that left. Here the stop is ordered instead: the
// listener closes first (right after an accept batch), every socket accepted is handed to a worker, and only
// then are the workers told to stop; IPC keeps messages in order, so each worker has taken every socket sent
// to it before it reads "stop".
import type { Worker } from 'node:cluster';
import net from 'node:net';
import { closeListenerAfterAccepts } from './accept.js';

/** Sockets held while no worker is ready (every one died and is being replaced), at most: what the kernel's
 * default listen backlog (511) would have queued; past it a connection is closed at once. */
export const MAX_HELD = 511;

/** The message a worker receives with each socket. */
export const HANDOVER = 'h1wire:connection';

export interface RoundRobinCounts {
  /** Connections the primary accepted. */
  accepted: number;
  /** Sockets written to a worker's IPC channel. */
  handedOver: number;
  /** Sockets closed unhanded: the worker they were sent to died, or none was left when the primary stopped. */
  dropped: number;
}

export class RoundRobin {
  private readonly server = net.createServer({ pauseOnConnect: true }, (socket) => this.take(socket));
  /** Workers ready to take sockets, in turn order. */
  private readonly ready: Worker[] = [];
  private next = 0;
  /** Sockets accepted while no worker was ready (all had died): handed over when one is. */
  private readonly held: net.Socket[] = [];
  /** Sockets written (or queued) to each worker's channel whose send has not completed. */
  private readonly sending = new Map<Worker, Set<net.Socket>>();
  private idleWaiters: (() => void)[] = [];
  readonly counts: RoundRobinCounts = { accepted: 0, handedOver: 0, dropped: 0 };

  /** Listens; resolves with the port bound. */
  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ port, host }, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as net.AddressInfo).port);
      });
    });
  }

  /** A worker ready to serve (it has made its server). */
  add(worker: Worker): void {
    this.ready.push(worker);
    while (this.held.length > 0) this.handOver(this.held.shift() as net.Socket);
  }

  /** A worker leaving in order (it asked to): nothing more is sent to it; what is on its way still reaches it. */
  retire(worker: Worker): void {
    const i = this.ready.indexOf(worker);
    if (i !== -1) this.ready.splice(i, 1);
  }

  /** A worker that died: nothing more is sent to it, and what was on its way to it is lost with it (Node closes
   * the primary's copies when the channel closes). */
  remove(worker: Worker): void {
    const i = this.ready.indexOf(worker);
    if (i !== -1) this.ready.splice(i, 1);
    const lost = this.sending.get(worker);
    if (lost === undefined) return;
    this.sending.delete(worker);
    for (const socket of lost) this.drop(socket);
    this.settle();
  }

  /** Stops accepting (right after an accept batch) and resolves once every socket accepted has been written to a
   * worker's channel. Sockets held for want of a worker are closed (only when every worker is dead). */
  async close(): Promise<void> {
    await closeListenerAfterAccepts(this.server);
    for (const socket of this.held.splice(0)) this.drop(socket);
    if (this.sending.size > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private take(socket: net.Socket): void {
    this.counts.accepted++;
    // A client that resets before its turn: nothing to hand over, nothing to crash on.
    socket.on('error', () => {});
    if (this.ready.length > 0) this.handOver(socket);
    else if (this.held.length < MAX_HELD) this.held.push(socket);
    else this.drop(socket);
  }

  private handOver(socket: net.Socket): void {
    const worker = this.ready[this.next++ % this.ready.length] as Worker;
    let pending = this.sending.get(worker);
    if (pending === undefined) this.sending.set(worker, (pending = new Set()));
    pending.add(socket);
    // Without keepOpen, Node closes the primary's copy once the worker acknowledges it has the descriptor.
    worker.send(HANDOVER, socket, (error: Error | null) => {
      if (!pending.delete(socket)) return; // counted as dropped when the worker died
      if (error === null) this.counts.handedOver++;
      else this.drop(socket);
      if (pending.size === 0 && this.sending.get(worker) === pending) this.sending.delete(worker);
      this.settle();
    });
  }

  private settle(): void {
    if (this.sending.size === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private drop(socket: net.Socket): void {
    this.counts.dropped++;
    socket.destroy();
  }
}
