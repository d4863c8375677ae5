// The demo's fetch-style routes: a plain `(request) => Response` app served through fetchHandler, as a Hono app
// (or any WHATWG fetch app) would be.
import { fetchHandler } from './fetch-handler.js';

/** GET /fetch/hello: a JSON body built as a web Response. */
export const fetchHello = fetchHandler(() => Response.json({ hello: 'world' }));

/** POST /fetch/echo: the body read through Request.arrayBuffer(), sent back with the request's Content-Type. */
export const fetchEcho = fetchHandler(async (request) => {
  const body = await request.arrayBuffer();
  const type = request.headers.get('content-type');
  return new Response(body, { headers: type === null ? {} : { 'content-type': type } });
});
