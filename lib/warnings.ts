// Warnings about responses that break a rule of RFC 9110 but can still be sent (the server cannot repair
// them): one process warning per code, as Node does for its own, so a log is not flooded and
// `process.on('warning')` or `node --no-warnings` can deal with them.
const MESSAGES: Record<string, string> = {
  H1W_405_WITHOUT_ALLOW:
    'a handler answered 405 without an Allow header; RFC 9110 §15.5.6 requires one listing the methods the resource takes (e.g. headers: { Allow: "GET, HEAD" })',
};

const warned = new Set<string>();

/** Emits the warning for `code` the first time it is seen in this process. */
export function warnOnce(code: string): void {
  if (warned.has(code)) return;
  warned.add(code);
  process.emitWarning(MESSAGES[code] ?? code, { type: 'H1wireWarning', code });
}
