// The demo in its own process, so that its memory can be measured without the test's own noise.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../../lib/cli.js', import.meta.url));

export interface Child {
  port: number;
  pid: number;
  /** Resident set size in bytes, read from /proc. */
  rss(): number;
  stop(): Promise<void>;
  process: ChildProcess;
}

export function rssOf(pid: number): number {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return 0; // the process has exited
  }
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  return match === null ? 0 : Number(match[1]) * 1024;
}

export function spawnDemo(args: string[] = []): Promise<Child> {
  const child = spawn(process.execPath, [cli, 'demo', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr.resume();
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      const match = /^listening on http:\/\/[^:]+:(\d+)\n/.exec(out);
      if (match === null) return;
      child.stdout.off('data', onData);
      child.stdout.resume();
      const pid = child.pid as number;
      resolve({
        port: Number(match[1]),
        pid,
        rss: () => rssOf(pid),
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGKILL');
          }),
        process: child,
      });
    };
    child.stdout.on('data', onData);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`demo exited early (${code}): ${out}`)));
  });
}
