// LESSON.md, chapter 4: `node dist/test/lesson/slow-reader.js [BASE]` asks the demo for a 64 MiB /stream,
// reads nothing for two seconds while it samples /stats, then reads it all. A server that honours backpressure
// stops producing once the kernel's socket buffers are full: its bytes out stay put while the reader waits.
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const base = new URL(process.argv[2] ?? 'http://127.0.0.1:3000');
const MiB = 2 ** 20;
const BODY = 64 * MiB;

interface Stats {
  bytesOut: number;
  byState: { writing: number };
  process: { rss: number };
}

async function stats(): Promise<string> {
  const s = (await (await fetch(new URL('/stats', base))).json()) as Stats;
  return `bytes out ${(s.bytesOut / MiB).toFixed(1)} MiB, rss ${(s.process.rss / MiB).toFixed(0)} MiB, writing: ${s.byState.writing}`;
}

const socket = net.connect(Number(base.port), base.hostname);
socket.pause();
socket.write(`GET /stream?chunks=${BODY / 65536}&size=65536 HTTP/1.1\r\nHost: ${base.host}\r\nConnection: close\r\n\r\n`);
const seen: string[] = [];
for (let i = 1; i <= 4; i++) {
  await sleep(500);
  seen.push(await stats());
  process.stdout.write(`paused ${i * 0.5} s: ${seen.at(-1)}\n`);
}
const flat = seen.slice(1).every((line) => line.split(',')[0] === seen[0]?.split(',')[0]);
process.stdout.write(`the server stopped producing while nobody read: ${flat ? 'yes' : 'no'}\n`);
let received = 0;
socket.on('data', (chunk: Buffer) => (received += chunk.length));
socket.resume();
await new Promise((resolve) => socket.once('close', resolve));
process.stdout.write(`then read ${(received / MiB).toFixed(1)} MiB (body and framing); ${await stats()}\n`);
