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
  readonly strings: readonly string[];
  readonly values: readonly unknown[];

  constructor(strings: readonly string[], values: readonly unknown[]) {
    this.strings = strings;
    this.values = values;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<string> {
    // Text is gathered until something has to be awaited; then what is ready goes out first, so the fast
    // parts of a page never wait for its slow ones, and there are few chunks.
    const out: Pending = { text: '' };
    yield* emit(this, out);
    if (out.text !== '') yield out.text;
  }
}

interface Pending {
  text: string;
}

function* flush(out: Pending): Generator<string> {
  if (out.text === '') return;
  const text = out.text;
  out.text = '';
  yield text;
}

async function* emit(value: unknown, out: Pending): AsyncGenerator<string> {
  if (value === null || value === undefined || value === false) return;
  if (value instanceof Html) {
    const { strings, values } = value;
    for (let i = 0; i < strings.length; i++) {
      out.text += strings[i] as string;
      if (i < values.length) yield* emit(values[i], out);
    }
    return;
  }
  if (typeof value === 'string') {
    out.text += escapeHtml(value);
    return;
  }
  if (typeof value === 'number' || typeof value === 'bigint' || value === true) {
    out.text += String(value);
    return;
  }
  if (typeof (value as PromiseLike<unknown>).then === 'function') {
    yield* flush(out);
    yield* emit(await (value as PromiseLike<unknown>), out);
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value) yield* emit(item, out);
    return;
  }
  if (typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
    const iterator = (value as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    let finished = false;
    try {
      for (;;) {
        yield* flush(out);
        const step = await iterator.next();
        if (step.done === true) {
          finished = true;
          return;
        }
        yield* emit(step.value, out);
      }
    } finally {
      // Closed early (the response was cancelled, or a later part failed): let the source clean up.
      if (!finished) await iterator.return?.();
    }
  }
  out.text += escapeHtml(String(value));
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
