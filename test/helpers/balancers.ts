// Real load balancers in front of the demo: HAProxy and nginx from Debian, installed when missing (as root, with
// apt-get), each run in the foreground from a config in a temporary directory, on 127.0.0.1 only.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from './process.js';

/** Debian's packages for the balancers; .ci/run installs them, this is the fallback for a fresh machine. */
const PACKAGES = ['haproxy', 'nginx'];
const BINARIES: Record<string, string> = { haproxy: '/usr/sbin/haproxy', nginx: '/usr/sbin/nginx' };

function present(name: string): boolean {
  return spawnSync(BINARIES[name] ?? name, ['-v'], { stdio: 'ignore' }).status === 0;
}

/** The balancer's binary, installing the packages when it is missing. Throws when it cannot be had. */
export function ensureInstalled(name: 'haproxy' | 'nginx'): string {
  if (present(name)) return BINARIES[name] as string;
  if (process.getuid?.() !== 0) throw new Error(`${name} is missing; run: sudo apt-get install -y ${PACKAGES.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update'], { stdio: 'ignore', env, timeout: 300_000 });
  const install = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...PACKAGES], { stdio: 'ignore', env, timeout: 300_000 });
  if (install.status !== 0 || !present(name)) throw new Error(`apt-get install ${PACKAGES.join(' ')} failed (${install.status})`);
  return BINARIES[name] as string;
}

/** A port free right now on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface Balancer {
  port: number;
  dir: string;
  output(): string;
  stop(): Promise<void>;
}

/** Runs `binary args` with `config` written to dir/<file>, and waits until `port` accepts connections. */
export async function runBalancer(binary: string, file: string, config: (dir: string) => string, args: (dir: string) => string[], port: number): Promise<Balancer> {
  const dir = mkdtempSync(join(tmpdir(), 'h1wire-lb-'));
  writeFileSync(join(dir, file), config(dir));
  const child: ChildProcess = spawn(binary, args(dir), { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) break;
    if (await accepts(port)) return { port, dir, output: () => out, stop };
    await sleep(50);
  }
  await stop();
  throw new Error(`${binary} did not start: ${out}`);
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
