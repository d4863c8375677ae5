// Streaming HTML from tagged templates: html`<h1>${title}</h1>${rows}`. Values are escaped; nested html``
// fragments are not; promises are awaited and async iterables streamed in place, so the head of a page can
// leave before its slow parts are ready. `html()` with no template is the serializer (text/html).
import type { Chunk, Serializer } from './serializer.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

/** A piece of trusted HTML (from the html tag, or `unsafeHtml()`), rendered as a stream of strings. */
export class Html implements AsyncIterable<string> {
  private readonly strings: readonly string[];
  private readonly values: readonly unknown[];

  constructor(strings: readonly string[], values: readonly unknown[]) {
    this.strings = strings;
    this.values = values;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<string> {
    // Text is gathered until something must be awaited, then sent: few chunks, and no waiting on fast parts.
    let pending = '';
    for (let i = 0; i < this.strings.length; i++) {
      pending += this.strings[i] as string;
      if (i >= this.values.length) break;
      for await (const part of render(this.values[i])) {
        if (part.sync) pending += part.text;
        else {
          if (pending !== '') yield pending;
          pending = part.text;
        }
      }
    }
    if (pending !== '') yield pending;
  }
}

interface Part {
  text: string;
  /** Known without waiting (so it can join the text before it). */
  sync: boolean;
}

async function* render(value: unknown, sync = true): AsyncGenerator<Part> {
  if (value === null || value === undefined || value === false) return;
  if (value instanceof Html) {
    for await (const text of value) yield { text, sync: false };
    return;
  }
  if (typeof value === 'string') {
    yield { text: escapeHtml(value), sync };
    return;
  }
  if (typeof value === 'number' || typeof value === 'bigint' || value === true) {
    yield { text: String(value), sync };
    return;
  }
  if (typeof (value as PromiseLike<unknown>).then === 'function') {
    yield* render(await (value as PromiseLike<unknown>), false);
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value) yield* render(item, sync);
    return;
  }
  if (typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
    for await (const item of value as AsyncIterable<unknown>) yield* render(item, false);
    return;
  }
  yield { text: escapeHtml(String(value)), sync };
}

/** Marks a string as HTML that must not be escaped. Only for text you trust. */
export function unsafeHtml(text: string): Html {
  return new Html([text], []);
}

const SERIALIZER: Serializer = {
  name: 'html',
  contentType: 'text/html; charset=utf-8',
  stream(value: unknown): AsyncIterable<Chunk> {
    // Anything else is rendered as one escaped value.
    return value instanceof Html ? value : new Html(['', ''], [value]);
  },
};

export function html(): Serializer;
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html;
export function html(strings?: TemplateStringsArray, ...values: unknown[]): Html | Serializer {
  if (strings === undefined) return SERIALIZER;
  return new Html(strings, values);
}
