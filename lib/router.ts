// A small router, for the demo and for users who want one: "METHOD /path" keys, `:name` segments, HEAD
// served by GET routes, 404 for unknown paths, 405 with Allow for a known path and the wrong method, and a
// serializer per route.
import { HttpError } from './errors.js';
import type { Handler } from './handle.js';
import type { Request } from './request.js';
import { isResult, type Result } from './result.js';
import type { Serializer } from './serializers/serializer.js';

export interface RouteOptions {
  /** The serializer for this route's plain values and results that name none. */
  serializer?: Serializer;
}

export type RouteTable = Record<string, Handler | readonly [Handler, RouteOptions]>;

interface Route {
  method: string; // "*" for any
  segments: string[]; // ":name" for a parameter
  params: boolean; // has a parameter segment
  handler: Handler;
}

function split(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

function withSerializer(handler: Handler, serializer: Serializer): Handler {
  const wrap = (value: unknown): Result => {
    if (isResult(value)) return value.serializer === undefined ? { ...value, serializer } : value;
    return value === undefined ? { status: 204 } : { status: 200, body: value, serializer };
  };
  return (req) => {
    const value = handler(req);
    return value instanceof Promise ? value.then(wrap) : wrap(value);
  };
}

export function router(table: RouteTable): Handler {
  const routes: Route[] = [];
  for (const [key, entry] of Object.entries(table)) {
    const space = key.indexOf(' ');
    const method = space < 0 ? '*' : key.slice(0, space).toUpperCase();
    const path = space < 0 ? key : key.slice(space + 1).trim();
    if (!path.startsWith('/')) throw new TypeError(`route "${key}": the path must start with /`);
    let handler: Handler;
    if (typeof entry === 'function') handler = entry;
    else {
      const [fn, options] = entry as readonly [Handler, RouteOptions];
      handler = options.serializer === undefined ? fn : withSerializer(fn, options.serializer);
    }
    const segments = split(path);
    routes.push({ method, segments, params: segments.some((s) => s.startsWith(':')), handler });
  }

  const match = (route: Route, parts: string[]): Record<string, string> | null => {
    if (route.segments.length !== parts.length) return null;
    let params: Record<string, string> | null = null;
    for (let i = 0; i < parts.length; i++) {
      const segment = route.segments[i] as string;
      if (segment.charCodeAt(0) === 0x3a /* : */) {
        params ??= {};
        params[segment.slice(1)] = parts[i] as string;
      } else if (segment !== parts[i]) {
        return null;
      }
    }
    return params ?? {};
  };

  return (req: Request) => {
    const parts = split(req.path);
    let allowed: Set<string> | null = null; // made only when a path matches with another method
    let fallback: { route: Route; params: Record<string, string> } | null = null;
    for (const route of routes) {
      const params = match(route, parts);
      if (params === null) continue;
      if (route.method === req.method || route.method === '*') {
        if (route.params) req.params = params;
        return route.handler(req);
      }
      if (req.method === 'HEAD' && route.method === 'GET' && fallback === null) fallback = { route, params };
      allowed ??= new Set();
      allowed.add(route.method);
      if (route.method === 'GET') allowed.add('HEAD');
    }
    if (fallback !== null) {
      if (fallback.route.params) req.params = fallback.params;
      return fallback.route.handler(req);
    }
    if (allowed === null) throw new HttpError(404, `no route for ${req.path}`, { code: 'H1W_NOT_FOUND' });
    const allow = [...allowed].sort().join(', ');
    throw new HttpError(405, `${req.method} is not allowed here`, { code: 'H1W_METHOD_NOT_ALLOWED', headers: { Allow: allow } });
  };
}
