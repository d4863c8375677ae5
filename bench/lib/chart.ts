// latest.svg: the throughput ratios as bars (log scale, centred on node:http) and the slow reader's RSS over
// time, stacked. Drawn by hand: a few rects, lines and texts.
import type { SlowReaderOutcome, SlowReaderRun } from '../load/slow-reader.js';
import type { ThroughputFigures } from './figures.js';
import { bytes } from './stats.js';

/** A piece of the SVG: drawn from (0, 0), stacked by composeSvg. */
export interface SvgPart {
  width: number;
  height: number;
  body: string[];
}

const FONT = 'system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif';

function escapeXml(text: string): string {
  const entities: Record<string, string> = { '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' };
  return text.replace(/[<>&"']/g, (c) => entities[c] as string);
}

const text = (x: number | string, y: number | string, attrs: string, content: string): string =>
  `<text x="${x}" y="${y}"${attrs === '' ? '' : ` ${attrs}`}>${content}</text>`;

function heading(title: string, subtitle: string): string[] {
  return [
    text(20, 26, 'font-size="17" font-weight="600" fill="#111"', title),
    text(20, 46, 'fill="#555"', escapeXml(subtitle)),
  ];
}

const footnote = (height: number, content: string): string =>
  text(20, height - 12, 'fill="#777" font-size="11"', content);

/**
 * Per throughput variant, h1wire / node:http and ceiling / node:http as horizontal bars on a log scale centred
 * on 1× (node:http): bars to the right are faster than node:http, bars to the left slower.
 */
export function barChart(t: ThroughputFigures, subtitle: string): SvgPart {
  const rows = t.variants.map((v) => ({
    label: v.label,
    h1wire: v.h1wireVsNode.median,
    ceiling: v.ceilingVsNode.median,
  }));
  const labelW = 300;
  const chartW = 540;
  const left = 20 + labelW;
  const rowH = 46;
  const top = 84;
  const height = top + rows.length * rowH + 52;
  const width = left + chartW + 70;
  const values = rows.flatMap((r) => [r.h1wire, r.ceiling]).filter((v) => Number.isFinite(v) && v > 0);
  const lo = 2 ** Math.floor(Math.log2(Math.min(0.5, ...values.map((v) => v / 1.15))));
  const hi = 2 ** Math.ceil(Math.log2(Math.max(2, ...values.map((v) => v * 1.15))));
  const x = (v: number): number => left + ((Math.log2(v) - Math.log2(lo)) / (Math.log2(hi) - Math.log2(lo))) * chartW;
  const one = x(1);
  const out = heading('Requests/s relative to node:http (log scale; right of 1× = faster than node:http)', subtitle);
  out.push(`<rect x="${left}" y="60" width="12" height="12" fill="#2563eb"/>` +
    text(left + 18, 71, 'fill="#111"', 'h1wire / node:http'));
  out.push(`<rect x="${left + 170}" y="60" width="12" height="12" fill="#9ca3af"/>` +
    text(left + 188, 71, 'fill="#111"', 'raw-socket ceiling / node:http'));
  const bottom = top + rows.length * rowH;
  for (let g = lo; g <= hi * 1.0001; g *= 2) {
    const gx = x(g).toFixed(1);
    const strong = Math.abs(g - 1) < 1e-9;
    const stroke = strong
      ? 'stroke="#111" stroke-width="1.5" stroke-dasharray="4 3"'
      : 'stroke="#e5e7eb" stroke-width="1"';
    out.push(`<line x1="${gx}" y1="${top - 4}" x2="${gx}" y2="${bottom}" ${stroke}/>`);
    out.push(text(gx, bottom + 16, 'text-anchor="middle" fill="#555"', `${g}×`));
  }
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    out.push(text(left - 10, y + 27, 'text-anchor="end" fill="#111"', escapeXml(r.label)));
    const bar = (v: number, dy: number, color: string): void => {
      if (!Number.isFinite(v) || v <= 0) {
        out.push(text((one + 4).toFixed(1), y + dy + 12.5, 'fill="#555"', 'n/a'));
        return;
      }
      const end = x(v);
      const w = Math.max(1, Math.abs(end - one)).toFixed(1);
      out.push(`<rect x="${Math.min(one, end).toFixed(1)}" y="${y + dy}" width="${w}" height="16" fill="${color}"/>`);
      const tx = (v >= 1 ? end + 5 : end - 5).toFixed(1);
      out.push(text(tx, y + dy + 12.5, v >= 1 ? 'fill="#111"' : 'text-anchor="end" fill="#111"', `${v.toFixed(2)}×`));
    };
    bar(r.h1wire, 4, '#2563eb');
    bar(r.ceiling, 22, '#9ca3af');
  });
  out.push(footnote(height, 'Median of per-round ratios. See latest.md for the spread of each ratio, latencies, ' +
    'CPU per request and client-saturation flags.'));
  return { width, height, body: out };
}

const RSS_COLOURS: Record<string, string> = {
  h1wire: '#2563eb',
  'node-http': '#16a34a',
  'node-http-ignore': '#9ca3af',
  'node-http-ignore-fresh': '#dc2626',
};

/** RSS over time in the slow-reader scenario (first round of each server), one line per server. */
export function rssChart(o: SlowReaderOutcome, subtitle: string): SvgPart {
  const left = 80;
  const chartW = 500;
  const top = 84;
  const chartH = 260;
  const width = 930;
  const runs = o.servers
    .map((s) => o.runs.find((r) => r.server === s.id))
    .filter((r): r is SlowReaderRun => r !== undefined && r.samples.length > 0);
  const height = top + chartH + 56;
  const mib = 1024 * 1024;
  const tMax = Math.max(1, ...runs.flatMap((r) => r.samples.map(([t]) => t))) / 1000;
  const yMaxRaw = Math.max(1, ...runs.map((r) => r.rssPeak)) / mib;
  const step = yMaxRaw > 400 ? 100 : yMaxRaw > 200 ? 50 : yMaxRaw > 80 ? 20 : 10;
  const yMax = Math.ceil(yMaxRaw / step) * step;
  const tStep = tMax > 20 ? 5 : tMax > 8 ? 2 : tMax > 3 ? 1 : 0.5;
  const x = (t: number): number => left + (t / 1000 / tMax) * chartW;
  const y = (b: number): number => top + chartH - (b / mib / yMax) * chartH;
  const title = `Slow reader: server RSS while one client reads ${bytes(o.bodyBytes)} at ${bytes(o.rateBytes)}/s`;
  const out = heading(escapeXml(title), subtitle);
  for (let v = 0; v <= yMax + 1e-9; v += step) {
    const vy = y(v * mib);
    out.push(`<line x1="${left}" y1="${vy.toFixed(1)}" x2="${left + chartW}" y2="${vy.toFixed(1)}" stroke="#e5e7eb"/>`);
    out.push(text(left - 8, (vy + 4).toFixed(1), 'text-anchor="end" fill="#555"', `${v} MiB`));
  }
  for (let t = 0; t <= tMax + 1e-9; t += tStep) {
    out.push(text(x(t * 1000).toFixed(1), top + chartH + 18, 'text-anchor="middle" fill="#555"', `${t} s`));
  }
  out.push(`<line x1="${left}" y1="${top + chartH}" x2="${left + chartW}" y2="${top + chartH}" stroke="#111"/>`);
  runs.forEach((r, i) => {
    const colour = RSS_COLOURS[r.server] ?? '#111';
    const points = r.samples.map(([t, b]) => `${x(t).toFixed(1)},${y(b).toFixed(1)}`).join(' ');
    out.push(`<polyline points="${points}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    const label = o.servers.find((s) => s.id === r.server)?.label ?? r.server;
    const ly = top + 8 + i * 22;
    out.push(`<rect x="${left + chartW + 12}" y="${ly}" width="12" height="12" fill="${colour}"/>`);
    const name = escapeXml(label.replace('node:http, ', 'node:http: '));
    out.push(text(left + chartW + 30, ly + 10, 'fill="#111" font-size="11"', name));
  });
  out.push(footnote(height, `RSS from /proc/&lt;pid&gt;/status every ${o.sampleMs} ms, from the request (0 s) ` +
    `to ${o.settleMs} ms after the last byte. Series in latest.json.`));
  return { width, height, body: out };
}

export function composeSvg(parts: readonly SvgPart[]): string {
  const width = Math.max(...parts.map((p) => p.width));
  const height = parts.reduce((h, p) => h + p.height, 0);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="${FONT}" font-size="13">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
  ];
  let y = 0;
  for (const p of parts) {
    out.push(`<g transform="translate(0 ${y})">`, ...p.body, '</g>');
    y += p.height;
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
