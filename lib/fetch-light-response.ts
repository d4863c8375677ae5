// A lighter Response for fetchHandler's `overrideGlobalResponse` option. Building an undici Response costs about
// 8 µs (its body becomes a ReadableStream at once), more than the rest of a small request. This one keeps a
// string, bytes or null body and its init as they are, and fetch-response.ts reads them without any stream; any
// other use (body, clone(), text(), a stream or Blob body, …) builds the real Response once and delegates to it.
// `instanceof Response` holds both ways, as it must once this class stands in for the global one.

const GlobalResponse = globalThis.Response;
const STATE = Symbol('h1wire.lightResponse');
const TEXT_TYPE = 'text/plain;charset=UTF-8'; // what undici gives a string body

type HeadersLike = ConstructorParameters<typeof Headers>[0];

interface LightState {
  body: string | Uint8Array | null;
  status: number;
  statusText: string;
  /** The init's headers as given, or a live Headers once asked for. */
  headers: HeadersLike | Headers | undefined;
  real: Response | undefined;
}

interface ResponseInitLike {
  status?: number;
  statusText?: string;
  headers?: HeadersLike;
}

/** What fetch-response.ts needs of a light response that was never made real, or null. */
export function lightParts(value: unknown): LightState | null {
  const state = (value as { [STATE]?: LightState })[STATE];
  return state === undefined || state.real !== undefined ? null : state;
}

/** The default Content-Type undici would give the body, or null. */
export function defaultType(state: LightState): string | null {
  return typeof state.body === 'string' ? TEXT_TYPE : null;
}

function real(self: LightResponse): Response {
  const state = self[STATE];
  state.real ??= new GlobalResponse(state.body, { status: state.status, statusText: state.statusText, headers: state.headers as HeadersLike });
  return state.real;
}

function isPlainInit(init: unknown): init is ResponseInitLike | undefined {
  return init === undefined || (typeof init === 'object' && init !== null && !(init instanceof GlobalResponse));
}

export class LightResponse {
  readonly [STATE]: LightState;

  static [Symbol.hasInstance](value: unknown): boolean {
    if (this === LightResponse) return value instanceof GlobalResponse || (typeof value === 'object' && value !== null && STATE in value);
    return Function.prototype[Symbol.hasInstance].call(this, value);
  }

  constructor(body?: unknown, init?: unknown) {
    const status = isPlainInit(init) ? (init?.status ?? 200) : 0;
    const light =
      (body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array) &&
      isPlainInit(init) &&
      Number.isInteger(status) &&
      status >= 200 &&
      status <= 599;
    this[STATE] = {
      body: light ? ((body ?? null) as string | Uint8Array | null) : null,
      status,
      statusText: isPlainInit(init) ? (init?.statusText ?? '') : '',
      headers: isPlainInit(init) ? init?.headers : undefined,
      // Anything else (and anything invalid: the real constructor throws as it should) is real at once.
      real: light ? undefined : new GlobalResponse(body as BodyInit, init as ResponseInit),
    };
  }

  get status(): number {
    const state = this[STATE];
    return state.real === undefined ? state.status : state.real.status;
  }

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  get statusText(): string {
    const state = this[STATE];
    return state.real === undefined ? state.statusText : state.real.statusText;
  }

  get headers(): Headers {
    const state = this[STATE];
    if (state.real !== undefined) return state.real.headers;
    if (!(state.headers instanceof Headers)) {
      const headers = new Headers(state.headers);
      const type = defaultType(state);
      if (type !== null && !headers.has('content-type')) headers.set('content-type', type);
      state.headers = headers;
    }
    return state.headers;
  }
}

type BodyInit = ConstructorParameters<typeof GlobalResponse>[0];

for (const key of ['body', 'bodyUsed', 'redirected', 'type', 'url']) {
  Object.defineProperty(LightResponse.prototype, key, {
    get(this: LightResponse) {
      return (real(this) as unknown as Record<string, unknown>)[key];
    },
  });
}
for (const key of ['arrayBuffer', 'blob', 'bytes', 'clone', 'formData', 'json', 'text']) {
  Object.defineProperty(LightResponse.prototype, key, {
    value(this: LightResponse) {
      return (real(this) as unknown as Record<string, () => unknown>)[key]!();
    },
  });
}
Object.setPrototypeOf(LightResponse.prototype, GlobalResponse.prototype);
Object.setPrototypeOf(LightResponse, GlobalResponse); // Response.json(), Response.redirect(), Response.error()

/** Makes `Response` in this process the light one (idempotent). */
export function installLightResponse(): void {
  if (globalThis.Response !== (LightResponse as unknown as typeof Response)) globalThis.Response = LightResponse as unknown as typeof Response;
}
