// Headless Chromium for the browser tests: Debian's package (/usr/bin/chromium), installed with apt-get when it
// is missing and we are root. When it cannot be had, this throws: a browser test must fail, not pass unseen.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.H1W_CHROMIUM ?? '/usr/bin/chromium';

function install(): string {
  if (process.getuid?.() !== 0) return 'not root, so apt-get cannot run';
  const run = spawnSync('sh', ['-c', 'apt-get update && apt-get install -y chromium'], { encoding: 'utf8', timeout: 600_000 });
  return run.status === 0 ? '' : `apt-get failed (${run.status ?? run.signal}): ${run.stderr.slice(-500)}`;
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    const why = install();
    if (!existsSync(CHROMIUM)) {
      throw new Error(`headless Chromium is needed at ${CHROMIUM} and could not be installed (${why || 'no binary after apt-get'}); ` +
        'install it with `apt-get update && apt-get install -y chromium`, or set H1W_CHROMIUM');
    }
  }
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}
