// The pre-protocol step for `proxyProtocol: true`: before a socket becomes a Connection, its PROXY header is
// read (proxy-protocol.ts parses it) within a deadline. A socket without a valid header is destroyed and never
// read as HTTP; bytes that came after the header in the same packet are put back for the HTTP parser.
import type { Socket } from 'node:net';
import { parseProxyHeader, ProxyProtocolError, type ProxyHeader } from './proxy-protocol.js';
import type { CloseReason } from './stages.js';

/** Where a socket goes once its header is read, or why it was dropped. */
export interface ProxyGateHost {
  proxied(socket: Socket, header: ProxyHeader): void;
  dropped(reason: CloseReason, error: Error): void;
}

export class ProxyHeaderGate {
  /** Each waiting socket and the function that drops it. */
  private readonly pending = new Map<Socket, (reason: CloseReason, error: Error) => void>();
  private readonly timeout: number;
  private readonly host: ProxyGateHost;

  constructor(timeout: number, host: ProxyGateHost) {
    this.timeout = timeout;
    this.host = host;
  }

  /** Reads `socket`'s PROXY header, then hands the socket on (paused reads resume after the hand-over). */
  take(socket: Socket): void {
    const pending = this.pending;
    const host = this.host;
    let buffered: Buffer | null = null;
    let settled = false;
    const finish = (): void => {
      settled = true;
      pending.delete(socket);
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', onError);
      socket.off('close', onClose);
    };
    const fail = (reason: CloseReason, error: Error): void => {
      if (settled) return;
      finish();
      socket.on('error', ignore); // a reset racing the destroy
      socket.destroy();
      host.dropped(reason, error);
    };
    const onData = (chunk: Buffer): void => {
      buffered = buffered === null ? chunk : Buffer.concat([buffered, chunk]);
      let header: ProxyHeader | null;
      try {
        header = parseProxyHeader(buffered);
      } catch (error) {
        fail('proxy-header', error as Error);
        return;
      }
      if (header === null) return;
      finish();
      socket.pause();
      if (buffered.length > header.length) socket.unshift(buffered.subarray(header.length));
      host.proxied(socket, header);
      socket.resume();
    };
    const onEnd = (): void => fail('proxy-header', new ProxyProtocolError('the connection ended before a complete PROXY header', 'H1W_PROXY_INCOMPLETE'));
    const onError = (error: Error): void => fail('client-closed', error);
    const onClose = (): void => fail('client-closed', new Error('closed before a PROXY header'));
    const timer = setTimeout(
      () => fail('proxy-header', new ProxyProtocolError(`no complete PROXY header within ${this.timeout} ms`, 'H1W_PROXY_TIMEOUT')),
      this.timeout,
    );
    timer.unref();
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('error', onError);
    socket.on('close', onClose);
    pending.set(socket, fail);
  }

  /** Shutdown: sockets still waiting for a header are destroyed (nothing was asked of them yet). */
  closeAll(): void {
    for (const fail of [...this.pending.values()]) fail('server-closing', new Error('server closing'));
  }
}

function ignore(): void {}
