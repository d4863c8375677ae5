// The wire inspector's page: one EventSource, a table of connections, a list of exchanges. No framework.
'use strict';
const MAX_EXCHANGES = 100;
const CLOSED_KEPT_MS = 5000;
const STAGES = ['parse', 'handle', 'serialize', 'frame', 'write'];
const FRAMING = { length: 'Content-Length', chunked: 'chunked', close: 'close-delimited', none: 'no body' };
const connections = document.querySelector('#connections tbody');
const exchanges = document.getElementById('exchanges');
const backpressure = document.getElementById('backpressure');
const status = document.getElementById('status');
const encoder = new TextEncoder();

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
  for (const child of children) node.append(child);
  return node;
}

/** A head as its bytes: each line ends in a visible \r\n (CR LF), and the count is of UTF-8 bytes. */
function headView(label, head) {
  const pre = el('pre', { class: 'head' });
  for (const line of head.split('\r\n').slice(0, -1)) pre.append(line, el('span', { class: 'crlf', title: 'CR LF' }, '\\r\\n'), '\n');
  return [el('div', { class: 'bytes' }, `${label}: ${encoder.encode(head).length} bytes`), pre];
}

function connection(row) {
  let tr = connections.querySelector(`tr[data-conn="${row.id}"]`);
  if (row.gone) return tr && tr.remove();
  if (!tr) {
    tr = el('tr', { 'data-conn': row.id });
    for (const name of ['id', 'remote', 'state', 'requests', 'bytes', 'reason']) tr.append(el('td', { class: name }));
    connections.prepend(tr);
  }
  tr.dataset.state = row.state;
  const cells = tr.children;
  cells[0].textContent = row.id;
  cells[1].textContent = row.remote;
  cells[2].textContent = row.state;
  cells[3].textContent = row.requests;
  cells[4].textContent = row.bytesOut;
  cells[5].textContent = row.reason || '';
  if (row.state === 'closed') setTimeout(() => tr.dataset.state === 'closed' && tr.remove(), CLOSED_KEPT_MS);
}

function waterfall(row) {
  const bar = el('div', { class: 'waterfall' });
  const list = el('div', { class: 'stages' });
  const total = Math.max(row.totalMs || 0, STAGES.reduce((sum, s) => sum + (row.stages[s] || 0), 0), 0.001);
  let left = 0;
  for (const stage of STAGES) {
    const ms = row.stages[stage] || 0;
    const width = (ms / total) * 100;
    bar.append(el('span', { class: 'stage', 'data-stage': stage, title: `${stage} ${ms.toFixed(3)} ms`,
      style: `left:${left}%;width:${Math.max(width, 0.5)}%` }));
    left += width;
    list.append(el('span', { class: 'stage-name', 'data-stage': stage }, `${stage} ${ms.toFixed(3)} ms`), ' · ');
  }
  list.append(el('span', { class: 'stage-name', 'data-stage': 'finish' }, `finish ${total.toFixed(3)} ms`));
  return [bar, list];
}

function exchange(row) {
  let box = exchanges.querySelector(`[data-id="${row.id}"]`);
  if (!box) {
    box = el('section', { class: 'exchange', 'data-id': row.id });
    exchanges.prepend(box);
    while (exchanges.children.length > MAX_EXCHANGES) exchanges.lastElementChild.remove();
  }
  const framing = row.framing ? el('span', { class: 'framing' }, FRAMING[row.framing] || row.framing) : '';
  const line = el('div', { class: 'line' }, `${row.id} ${row.method} ${row.target} → ${row.status ?? '…'} `, framing,
    row.done ? ` ${row.bodyBytes} body bytes` : ' (in progress)');
  box.replaceChildren(line, ...(row.stages ? waterfall(row) : []), ...headView('request head', row.requestHead),
    ...(row.responseHead ? headView('response head', row.responseHead) : []));
  box.dataset.done = row.done;
}

function apply(batch) {
  batch.connections.forEach(connection);
  batch.exchanges.forEach(exchange);
  for (const b of batch.backpressure) {
    backpressure.prepend(el('li', { 'data-conn': b.connection },
      `connection ${b.connection}: write blocked ${b.drains}× (${b.blockedMs.toFixed(1)} ms in all), then drain`));
    while (backpressure.children.length > 50) backpressure.lastElementChild.remove();
  }
  const lost = batch.dropped + batch.skipped;
  status.textContent = lost > 0 ? `live (${lost} updates dropped under load)` : 'live';
}

const source = new EventSource('/_wire/events');
source.addEventListener('snapshot', (e) => apply(JSON.parse(e.data)));
source.addEventListener('batch', (e) => apply(JSON.parse(e.data)));
source.addEventListener('error', () => (status.textContent = 'disconnected, retrying…'));
