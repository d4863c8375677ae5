// LESSON.md, chapter 2: `node dist/test/lesson/status-clients.js [BASE]` asks the demo's two failing routes with
// fetch() and with undici's RetryAgent, and prints what each client concluded. Only the status code differs.
import diagnostics from 'node:diagnostics_channel';
import { Agent, RetryAgent, request } from 'undici';

const base = process.argv[2] ?? 'http://127.0.0.1:3000';
const routes = ['/lesson/error-200', '/lesson/error-503'];

let attempts = 0;
diagnostics.channel('undici:request:create').subscribe(() => attempts++);

async function withFetch(path: string): Promise<string> {
  const response = await fetch(base + path);
  await response.arrayBuffer();
  return `fetch():    status ${response.status}, ok = ${response.ok}`;
}

async function withRetries(path: string): Promise<string> {
  const agent = new RetryAgent(new Agent(), { maxRetries: 2, minTimeout: 100, timeoutFactor: 1 });
  attempts = 0;
  const started = performance.now();
  try {
    const { statusCode, body } = await request(base + path, { dispatcher: agent });
    await body.text();
    return `RetryAgent: status ${statusCode} after ${attempts} attempt(s): accepted as a success`;
  } catch (error) {
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    return `RetryAgent: gave up after ${attempts} attempt(s) in ${seconds} s (${(error as Error).name})`;
  } finally {
    await agent.close();
  }
}

for (const path of routes) {
  process.stdout.write(`${path}\n  ${await withFetch(path)}\n  ${await withRetries(path)}\n`);
}
