// Which transport the wire tests use: plain TCP, or TLS when H1W_TLS=1 (test/wire/over-tls.test.ts runs a
// representative set of wire and fault tests that way, unchanged). The certificate is made at test time.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';

export const OVER_TLS = process.env.H1W_TLS === '1';

export interface TestCert {
  key: Buffer;
  cert: Buffer;
  /** The files, for a child process (the demo's --tls-key/--tls-cert); removed when the process exits. */
  keyFile: string;
  certFile: string;
}

let made: TestCert | null = null;

/** A self-signed certificate for localhost, made once per process with openssl (never downloaded). */
export function testCert(): TestCert {
  if (made !== null) return made;
  const dir = mkdtempSync(join(tmpdir(), 'h1wire-cert-'));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1', '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  made = { key: readFileSync(keyFile), cert: readFileSync(certFile), keyFile, certFile };
  return made;
}

/** The server's tls option under H1W_TLS=1, else undefined. */
export function serverTls(): tls.TlsOptions | undefined {
  if (!OVER_TLS) return undefined;
  const { key, cert } = testCert();
  return { key, cert };
}

/** Connects over the chosen transport (a TLS socket buffers writes until its handshake is done). */
export function dial(port: number, host = '127.0.0.1', options: { allowHalfOpen?: boolean } = {}): net.Socket {
  if (!OVER_TLS) return net.connect({ port, host, ...options });
  return tls.connect({ port, host, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'], ...options });
}
