// The Date header value, made once per second: toUTCString is not free, and thousands of responses a second
// share the same second. The cache is dropped at the next second boundary by one unref'd timer.
let cached = '';

function expire(): void {
  cached = '';
}

export function httpDate(): string {
  if (cached === '') {
    const now = Date.now();
    cached = new Date(now).toUTCString();
    setTimeout(expire, 1000 - (now % 1000)).unref();
  }
  return cached;
}
