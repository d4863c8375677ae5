// fetchHandler(): a WHATWG fetch-style app, `(request: Request, env?) => Response | Promise<Response>` (Hono's
// app.fetch, itty-router, …), as an h1wire handler. The web Request is made lazily over h1wire's request
// (fetch-request.ts), the Response becomes a Result (fetch-response.ts); a throw or a rejection is a 500 as for
// any handler. By default the global Response is the light one (fetch-light-response.ts) and the global Request
// takes the app's requests as input (fetch-global-request.ts), as @hono/node-server does.
import { toWebRequest } from './fetch-request.js';
import { installAcceptingRequest } from './fetch-global-request.js';
import { installLightResponse } from './fetch-light-response.js';
import { toResult } from './fetch-response.js';
import type { Handler } from './handle.js';
import type { Request as H1Request } from './request.js';
import type { Result } from './result.js';

/** A fetch-style app. The second argument is the platform's bindings (Hono's `c.env`). */
export type FetchApp<Env = unknown> = (request: Request, env: Env) => Response | Promise<Response>;

export interface FetchHandlerOptions<Env = unknown> {
  /** The app's bindings: a value passed to every call, or a function of h1wire's request (called per request).
   * Default: `{ request }`, h1wire's own request (its remoteAddress, timings, …). */
  env?: Env | ((req: H1Request) => Env);
  /** The host of the URL when an HTTP/1.0 request sends no Host (default "localhost"). */
  defaultHost?: string;
  /** Replace the global `Response` (for the whole process) with a lighter one that keeps string, bytes and
   * null bodies as they are and becomes undici's own only when asked for more (fetch-light-response.ts), and
   * the global `Request` with undici's extended to take the app's requests as input (`new Request(c.req.raw,
   * init)`, fetch-global-request.ts). On by default, as @hono/node-server's `overrideGlobalObjects`: building
   * undici's Response costs more than the rest of a small request. `false` leaves both globals alone; undici's
   * Request then refuses the app's request as input (a TypeError). */
  overrideGlobalResponse?: boolean;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

export function fetchHandler<Env = { request: H1Request }>(app: FetchApp<Env>, options: FetchHandlerOptions<Env> = {}): Handler {
  if (typeof app !== 'function') throw new TypeError('fetchHandler needs a function (request) => Response');
  const defaultHost = options.defaultHost ?? 'localhost';
  // Installed on the first request, not here: making a handler (h1wire's own demo makes one when imported)
  // must not change a global for a process that never serves through it.
  let install = options.overrideGlobalResponse !== false;
  const env = options.env;
  const envOf: (req: H1Request) => Env =
    typeof env === 'function' ? (env as (req: H1Request) => Env) : env === undefined ? (req) => ({ request: req }) as Env : () => env;
  // A Response given at once (Hono's sync routes) becomes a Result at once: handle.ts then pays no promise.
  return (req: H1Request): Result | Promise<Result> => {
    if (install) {
      installLightResponse();
      installAcceptingRequest();
      install = false;
    }
    const response = app(toWebRequest(req, defaultHost), envOf(req));
    const isHead = req.method === 'HEAD';
    return isThenable(response) ? Promise.resolve(response).then((value) => toResult(value, isHead)) : toResult(response, isHead);
  };
}
