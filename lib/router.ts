// A small router, for the demo and for users who want one: "METHOD /path" keys (a bare "/path" takes any
// method), `:name` segments, HEAD served by GET routes, OPTIONS answered from the table (RFC 9110 §9.3.7) unless
// a route names OPTIONS itself, 404 for unknown paths, 405 with Allow for a known path and the wrong method,
// and a serializer per route.
import { HttpError } from './errors.js';
import type { Handler } from './handle.js';
import type { Request } from './request.js';
import { HANDLED_METHODS } from './request-rules.js';
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

/** The methods a set of routes allows, as an Allow value: HEAD with GET, OPTIONS always, sorted. Allow has no
 * word for "any method", so a route that takes any lists every method that can reach a handler. */
function allowValue(methods: Iterable<string>): string {
  const all = new Set<string>(['OPTIONS']);
  for (const m of methods) {
    if (m === '*') for (const any of HANDLED_METHODS) all.add(any);
    else all.add(m);
    if (m === 'GET') all.add('HEAD');
  }
  return [...all].sort().join(', ');
}

/** A route takes a request's method: its own, or any but OPTIONS (which the table answers, truthfully, unless a
 * route names it). */
function takes(route: Route, method: string): boolean {
  return route.method === method || (route.method === '*' && method !== 'OPTIONS');
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

/** "/a//b/" → "/a/b": the form routes are stored under (empty segments do not count). */
function canonical(path: string): string {
  const simple = path.indexOf('//') < 0 && (path.length === 1 || path.charCodeAt(path.length - 1) !== 0x2f);
  return simple ? path : `/${split(path).join('/')}`;
}

/**
 * Routes without parameters are found by one Map lookup on the path; routes with `:name` segments are tried
 * in order after them (so `/status/200` wins over `/status/:code` whatever the order they were given in).
 */
export function router(table: RouteTable): Handler {
  const exact = new Map<string, Route[]>();
  const patterns: Route[] = [];
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
    const route: Route = { method, segments, params: segments.some((s) => s.startsWith(':')), handler };
    if (route.params) patterns.push(route);
    else {
      const at = `/${segments.join('/')}`;
      const list = exact.get(at) ?? [];
      list.push(route);
      exact.set(at, list);
    }
  }

  // OPTIONS * asks about the server as a whole: every method some route takes.
  const serverAllow = allowValue([...[...exact.values()].flat(), ...patterns].map((r) => r.method));

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
    const method = req.method;
    const statics = exact.get(canonical(req.path));
    if (statics !== undefined) {
      for (const route of statics) if (takes(route, method)) return route.handler(req);
    }
    // OPTIONS * (the only request a "*" target reaches us with) is about the server, not a path.
    if (req.target === '*') return { status: 204, headers: { Allow: serverAllow } };
    // The slow path: parameters, HEAD served by GET, and the 404/405 decision.
    let allowed: Set<string> | null = null;
    let fallback: { route: Route; params: Record<string, string> } | null = null;
    const consider = (route: Route, params: Record<string, string>): boolean => {
      if (takes(route, method)) return true;
      if (method === 'HEAD' && route.method === 'GET' && fallback === null) fallback = { route, params };
      allowed ??= new Set();
      allowed.add(route.method);
      return false;
    };
    for (const route of statics ?? []) consider(route, {});
    if (fallback === null && patterns.length > 0) {
      const parts = split(req.path);
      for (const route of patterns) {
        const params = match(route, parts);
        if (params === null) continue;
        if (consider(route, params)) {
          req.params = params;
          return route.handler(req);
        }
      }
    }
    if (fallback !== null) {
      const chosen = fallback as { route: Route; params: Record<string, string> };
      if (chosen.route.params) req.params = chosen.params;
      return chosen.route.handler(req);
    }
    if (method === 'OPTIONS' && allowed !== null) {
      // No OPTIONS route of its own: say what the target takes (204, no body).
      return { status: 204, headers: { Allow: allowValue(allowed as Set<string>) } };
    }
    if (allowed === null) throw new HttpError(404, `no route for ${req.path}`, { code: 'H1W_NOT_FOUND' });
    const allow = allowValue(allowed as Set<string>);
    throw new HttpError(405, `${method} is not allowed here`, { code: 'H1W_METHOD_NOT_ALLOWED', headers: { Allow: allow } });
  };
}
