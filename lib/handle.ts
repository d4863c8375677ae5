// The handle stage: call user code, synchronously or not, and hand its outcome on. A synchronous handler
// pays for no Promise: its value goes straight to `settle`; only a thenable is awaited.
import type { Request } from './request.js';

/** A request handler: returns a result (see result.ts), a plain value (a 200 body), or a Promise of either. */
export type Handler = (req: Request) => unknown;

/** Receives the handler's outcome exactly once. */
export interface HandlerOutcome {
  settle(value: unknown): void;
  fail(error: unknown): void;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

export function invoke(handler: Handler, req: Request, outcome: HandlerOutcome): void {
  let value: unknown;
  try {
    value = handler(req);
  } catch (error) {
    outcome.fail(error);
    return;
  }
  if (isThenable(value)) {
    value.then(
      (resolved) => outcome.settle(resolved),
      (error: unknown) => outcome.fail(error),
    );
  } else {
    outcome.settle(value);
  }
}
