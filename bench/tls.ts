// `npm run bench:tls`: HTTPS GET / requests per second, h1wire's demo vs node:https (load/node-https-server.ts)
// with the same self-signed certificate (made with openssl for this run), in the same run, rounds alternating
// the servers. Two modes: keep-alive, and a new connection (and TLS handshake) per request (`Connection:
// close`). Load: autocannon (it speaks TLS and reconnects after each close). Prints a table with the ratios
// and writes bench/results/latest-tls.md.
//   --seconds N (default 5) --rounds N (default 3) --connections N (default 10)
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const { values } = parseArgs({ options: { seconds: { type: 'string', default: '5' }, rounds: { type: 'string', default: '3' }, connections: { type: 'string', default: '10' } } });
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const CONNECTIONS = Number(values.connections);
const MODES = [
  { id: 'keep-alive', headers: [] as string[] },
  { id: 'new connection per request', headers: ['-H', 'connection=close'] },
];

function startServer(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^listening on (https:\/\/[^\n]+)\n/.exec(out);
      if (m !== null) resolve({ child, url: m[1] as string });
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}): ${out}`)));
  });
}

function load(url: string, headers: string[]): number {
  const out = execFileSync(process.execPath, ['node_modules/autocannon/autocannon.js', '-j', '-c', String(CONNECTIONS), '-d', String(SECONDS), ...headers, `${url}/`], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 24 });
  const result = JSON.parse(out) as { requests: { average: number }; non2xx: number; errors: number };
  if (result.non2xx > 0) throw new Error(`${url}: ${result.non2xx} non-2xx answers`);
  return result.requests.average;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? (s[(s.length - 1) / 2] as number) : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};

const dir = mkdtempSync(join(tmpdir(), 'h1wire-bench-tls-'));
const key = join(dir, 'key.pem');
const cert = join(dir, 'cert.pem');
execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
const servers = [
  { name: 'h1wire', ...(await startServer(['dist/lib/cli.js', 'demo', '--port', '0', '--tls-cert', cert, '--tls-key', key])) },
  { name: 'node:https', ...(await startServer(['dist/bench/load/node-https-server.js', '--cert', cert, '--key', key])) },
];
const lines = [`HTTPS GET /, ${CONNECTIONS} connections, ${ROUNDS} rounds of ${SECONDS} s, Node ${process.version}`, '', '| mode | h1wire req/s | node:https req/s | ratio (median of rounds) |', '|---|---|---|---|'];
try {
  for (const mode of MODES) {
    const rps: Record<string, number[]> = { h1wire: [], 'node:https': [] };
    const ratios: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const s of servers) {
        const r = load(s.url, mode.headers);
        (rps[s.name] as number[]).push(r);
        process.stdout.write(`${mode.id} round ${round + 1} ${s.name}: ${r.toFixed(0)} req/s\n`);
      }
      ratios.push((rps.h1wire as number[])[round] as number / ((rps['node:https'] as number[])[round] as number));
    }
    lines.push(`| ${mode.id} | ${median(rps.h1wire as number[]).toFixed(0)} | ${median(rps['node:https'] as number[]).toFixed(0)} | ${median(ratios).toFixed(2)} (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}) |`);
  }
} finally {
  for (const s of servers) s.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
const report = `${lines.join('\n')}\n`;
process.stdout.write(`\n${report}`);
writeFileSync(join(ROOT, 'bench/results/latest-tls.md'), report);
