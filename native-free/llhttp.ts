// llhttp (the Node.js project's HTTP/1.1 parser) as WebAssembly: nothing native to build or load.
//
// The bytes come from a pinned npm package: undici ships the Node.js project's llhttp 9.x builds in
// `lib/llhttp/`, plain and SIMD. We compile the module once per process, instantiate it once, and give each
// connection its own llhttp parser struct inside that one instance's memory. Parsing is synchronous, so a
// single input area in wasm memory serves every parser: a chunk is copied in, executed, and forgotten.
//
// This file is only the binding: it turns llhttp's callbacks (pointer, length) into calls on a `LlhttpSink`
// with offsets into the caller's own chunk. What those spans mean is `lib/parser.ts`'s business.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** llhttp error numbers (llhttp's `llhttp_errno_t`) that the server distinguishes. */
export const LLHTTP = {
  OK: 0,
  INTERNAL: 1,
  STRICT: 2,
  LF_EXPECTED: 3,
  UNEXPECTED_CONTENT_LENGTH: 4,
  CLOSED_CONNECTION: 5,
  INVALID_METHOD: 6,
  INVALID_URL: 7,
  INVALID_CONSTANT: 8,
  INVALID_VERSION: 9,
  INVALID_HEADER_TOKEN: 10,
  INVALID_CONTENT_LENGTH: 11,
  INVALID_CHUNK_SIZE: 12,
  INVALID_STATUS: 13,
  INVALID_EOF_STATE: 14,
  INVALID_TRANSFER_ENCODING: 15,
  PAUSED: 21,
  PAUSED_UPGRADE: 22,
  PAUSED_H2_UPGRADE: 23,
  USER: 24,
  CR_EXPECTED: 25,
  UNEXPECTED_SPACE: 30,
} as const;

export const PARSER_TYPE = { REQUEST: 1, RESPONSE: 2 } as const;

/** Receives llhttp's callbacks. Offsets are relative to the chunk given to `execute`. Return 0 to go on,
 * `LLHTTP.PAUSED` to pause (execute returns PAUSED, `errorOffset` is where to resume), or any other
 * non-zero value to stop with an error. */
export interface LlhttpSink {
  onMessageBegin(): number;
  onUrl(at: number, length: number): number;
  onStatus(at: number, length: number): number;
  onHeaderField(at: number, length: number): number;
  onHeaderValue(at: number, length: number): number;
  /** Return 0, 1 (no body follows), 2 (no body, upgrade) or PAUSED. */
  onHeadersComplete(statusCode: number, upgrade: number, shouldKeepAlive: number): number;
  onBody(at: number, length: number): number;
  onMessageComplete(): number;
}

interface LlhttpExports {
  memory: WebAssembly.Memory;
  _initialize(): void;
  malloc(size: number): number;
  free(ptr: number): void;
  llhttp_alloc(type: number): number;
  llhttp_free(ptr: number): void;
  llhttp_reset(ptr: number): void;
  llhttp_execute(ptr: number, data: number, length: number): number;
  llhttp_resume(ptr: number): void;
  llhttp_resume_after_upgrade(ptr: number): void;
  llhttp_get_errno(ptr: number): number;
  llhttp_get_error_reason(ptr: number): number;
  llhttp_get_error_pos(ptr: number): number;
  llhttp_get_method(ptr: number): number;
  llhttp_get_http_major(ptr: number): number;
  llhttp_get_http_minor(ptr: number): number;
  llhttp_get_status_code(ptr: number): number;
  llhttp_should_keep_alive(ptr: number): number;
}

/** Bytes copied into wasm memory per `llhttp_execute` call; larger chunks are fed in slices. */
const INPUT_AREA_SIZE = 64 * 1024;

// The parser whose `execute` is running. llhttp_execute never re-enters (sinks run no user code), so one
// module-level pointer is enough to route callbacks, as in undici's client.
let current: Llhttp | null = null;
// Wasm address of byte 0 of the chunk being executed, so that `at - base` is an offset into the chunk.
let base = 0;

function sink(): LlhttpSink {
  return (current as Llhttp).sink;
}

const imports = {
  env: {
    wasm_on_message_begin: (_p: number): number => sink().onMessageBegin(),
    wasm_on_url: (_p: number, at: number, len: number): number => sink().onUrl(at - base, len),
    wasm_on_status: (_p: number, at: number, len: number): number => sink().onStatus(at - base, len),
    wasm_on_header_field: (_p: number, at: number, len: number): number => sink().onHeaderField(at - base, len),
    wasm_on_header_value: (_p: number, at: number, len: number): number => sink().onHeaderValue(at - base, len),
    wasm_on_headers_complete: (_p: number, status: number, upgrade: number, keepAlive: number): number =>
      sink().onHeadersComplete(status, upgrade, keepAlive),
    wasm_on_body: (_p: number, at: number, len: number): number => sink().onBody(at - base, len),
    wasm_on_message_complete: (_p: number): number => sink().onMessageComplete(),
  },
};

interface Runtime {
  wasm: LlhttpExports;
  simd: boolean;
  input: number;
  view: Uint8Array;
}

let runtime: Runtime | null = null;

function compile(): { module: WebAssembly.Module; simd: boolean } {
  // Prefer the SIMD build; it fails to compile where WebAssembly SIMD is missing, and then the plain one serves.
  try {
    return { module: new WebAssembly.Module(require('undici/lib/llhttp/llhttp_simd-wasm.js')), simd: true };
  } catch {
    return { module: new WebAssembly.Module(require('undici/lib/llhttp/llhttp-wasm.js')), simd: false };
  }
}

function load(): Runtime {
  if (runtime !== null) return runtime;
  const { module, simd } = compile();
  const instance = new WebAssembly.Instance(module, imports);
  const wasm = instance.exports as unknown as LlhttpExports;
  wasm._initialize();
  const input = wasm.malloc(INPUT_AREA_SIZE);
  runtime = { wasm, simd, input, view: new Uint8Array(wasm.memory.buffer) };
  return runtime;
}

/** Which build is in use (for the README, the demo's banner and the benchmarks). */
export function llhttpBuild(): { simd: boolean } {
  return { simd: load().simd };
}

/** llhttp's method numbers, in llhttp's order (`llhttp_get_method` indexes this). */
export const METHOD_NAMES: readonly string[] = (() => {
  const { METHODS } = require('undici/lib/llhttp/constants.js') as { METHODS: Record<string, number> };
  const names: string[] = [];
  for (const [name, n] of Object.entries(METHODS)) names[n] = name;
  return names;
})();

/** The methods llhttp parses in an HTTP request (its METHODS_HTTP), by name. */
export const REQUEST_METHODS: readonly string[] = (() => {
  const { METHODS_HTTP } = require('undici/lib/llhttp/constants.js') as { METHODS_HTTP: number[] };
  return METHODS_HTTP.map((n) => METHOD_NAMES[n] as string);
})();

/** One llhttp parser struct. Reset and reuse it; free it when it leaves the free list for good. */
export class Llhttp {
  readonly sink: LlhttpSink;
  private ptr: number;
  private readonly rt: Runtime;
  /** After a non-OK `execute`: the offset in the chunk where llhttp stopped. */
  errorOffset = 0;

  constructor(type: number, sinkObject: LlhttpSink) {
    this.rt = load();
    this.sink = sinkObject;
    this.ptr = this.rt.wasm.llhttp_alloc(type);
    // Memory grows only when we allocate (llhttp allocates nothing while parsing), so the view is renewed
    // here rather than checked on every execute (reading memory.buffer is not free).
    if (this.rt.view.buffer !== this.rt.wasm.memory.buffer) this.rt.view = new Uint8Array(this.rt.wasm.memory.buffer);
  }

  /** Feeds chunk[from, to) to llhttp. Returns an LLHTTP code; on anything but OK see `errorOffset`. */
  execute(chunk: Uint8Array, from: number, to: number): number {
    const rt = this.rt;
    const wasm = rt.wasm;
    let offset = from;
    while (offset < to) {
      const n = Math.min(to - offset, INPUT_AREA_SIZE);
      rt.view.set(offset === 0 && n === chunk.length ? chunk : chunk.subarray(offset, offset + n), rt.input);
      current = this;
      base = rt.input - offset;
      const ret = wasm.llhttp_execute(this.ptr, rt.input, n);
      current = null;
      if (ret !== LLHTTP.OK) {
        this.errorOffset = wasm.llhttp_get_error_pos(this.ptr) - (rt.input - offset);
        return ret;
      }
      offset += n;
    }
    return LLHTTP.OK;
  }

  resume(): void {
    this.rt.wasm.llhttp_resume(this.ptr);
  }

  resumeAfterUpgrade(): void {
    this.rt.wasm.llhttp_resume_after_upgrade(this.ptr);
  }

  reset(): void {
    this.rt.wasm.llhttp_reset(this.ptr);
  }

  free(): void {
    if (this.ptr !== 0) this.rt.wasm.llhttp_free(this.ptr);
    this.ptr = 0;
  }

  get method(): string {
    return METHOD_NAMES[this.rt.wasm.llhttp_get_method(this.ptr)] ?? '';
  }

  get versionMajor(): number {
    return this.rt.wasm.llhttp_get_http_major(this.ptr);
  }

  get versionMinor(): number {
    return this.rt.wasm.llhttp_get_http_minor(this.ptr);
  }

  get statusCode(): number {
    return this.rt.wasm.llhttp_get_status_code(this.ptr);
  }

  /** llhttp's own reason for its last error (a C string in wasm memory). */
  errorReason(): string {
    const wasm = this.rt.wasm;
    const at = wasm.llhttp_get_error_reason(this.ptr);
    if (at === 0) return '';
    const bytes = new Uint8Array(wasm.memory.buffer, at);
    const end = bytes.indexOf(0);
    return Buffer.from(bytes.subarray(0, end < 0 ? 0 : end)).toString('latin1');
  }
}
