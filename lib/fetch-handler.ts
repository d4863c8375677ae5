// fetchHandler(): a WHATWG fetch-style app, `(request: Request, env?) => Response | Promise<Response>` (Hono's
// app.fetch, itty-router, …), as an h1wire handler. The web Request is made lazily over h1wire's request
// (fetch-request.ts), the Response becomes a Result (fetch-response.ts); a throw or a rejection is a 500 as for
// any handler.
import { toWebRequest } from './fetch-request.js';
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
   * null bodies as they are, as @hono/node-server does by default: about twice the throughput for small
   * responses. Off by default: it changes a global. */
  overrideGlobalResponse?: boolean;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

export function fetchHandler<Env = { request: H1Request }>(app: FetchApp<Env>, options: FetchHandlerOptions<Env> = {}): Handler {
  if (typeof app !== 'function') throw new TypeError('fetchHandler needs a function (request) => Response');
  const defaultHost = options.defaultHost ?? 'localhost';
  if (options.overrideGlobalResponse === true) installLightResponse();
  const env = options.env;
  const envOf: (req: H1Request) => Env =
    typeof env === 'function' ? (env as (req: H1Request) => Env) : env === undefined ? (req) => ({ request: req }) as Env : () => env;
  return (req: H1Request): Promise<Result> => {
    const response = app(toWebRequest(req, defaultHost), envOf(req));
    return isThenable(response) ? Promise.resolve(response).then(toResult) : toResult(response);
  };
}
