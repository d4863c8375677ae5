// The global Request installed with the light Response (fetchHandler's default): undici's, but it also takes
// fetchHandler's lazy requests as input. Hono middleware rebuilds the request as `new Request(c.req.raw, init)`
// (body-limit does so for a body with no Content-Length); undici's own constructor refuses an input that is not
// one of its own Requests (a TypeError, so a 500). @hono/node-server's global override does the same for its
// requests. Like node-server's, a stream body in `init` gets `duplex: 'half'`, which undici requires.
import { requestInput } from './fetch-request.js';

/** The global Request as it was before any override (undici's). */
export const UndiciRequest: typeof Request = globalThis.Request;

function hasBody(init: RequestInit | undefined): boolean {
  return init !== undefined && init !== null && init.body !== undefined && init.body !== null;
}

type RequestInput = ConstructorParameters<typeof Request>[0];

export class AcceptingRequest extends UndiciRequest {
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this === AcceptingRequest) return value instanceof UndiciRequest;
    return Function.prototype[Symbol.hasInstance].call(this, value);
  }

  constructor(input: RequestInput, init?: RequestInit) {
    const replacesBody = hasBody(init);
    let options = init;
    if (replacesBody && typeof (init!.body as { getReader?: unknown }).getReader === 'function' && !('duplex' in init!)) {
      options = { ...init, duplex: 'half' } as RequestInit;
    }
    super(requestInput(input, replacesBody) as RequestInput, options);
  }
}

/** Makes `Request` in this process the accepting one (idempotent). */
export function installAcceptingRequest(): void {
  if (globalThis.Request !== AcceptingRequest) globalThis.Request = AcceptingRequest;
}
