// The errors the parse stage answers with: llhttp's error numbers mapped to typed errors with stable codes,
// and the limits the parser enforces itself.
import { LLHTTP } from '../native-free/llhttp.js';
import { BadRequestError, ContentTooLargeError, HeadersTooLargeError, HttpError, VersionNotSupportedError } from './errors.js';
import type { ParserLimits } from './parser.js';

/** llhttp error numbers → names, for stable error codes (H1W_INVALID_HEADER_TOKEN, …). */
const LLHTTP_NAMES: Record<number, string> = Object.fromEntries(Object.entries(LLHTTP).map(([name, n]) => [n, name]));

/** llhttp's reason when the version is syntactically fine but not one it parses (only 1.0 and 1.1 pass). */
const WELL_FORMED_UNSUPPORTED_VERSION = 'Invalid HTTP version';

/** Empty lines ignored before a request line. RFC 9112 §2.2 asks to ignore at least one (old clients sent a
 * CRLF after a POST body); a few more cost nothing, and a stream of them is a client not speaking HTTP, or one
 * holding a connection open → 400. llhttp skips any mix of CR and LF there; we count those bytes, two a line. */
export const MAX_EMPTY_LINES = 4;

/** What llhttp's error `code` (with its `reason` and the version it read) answers. */
export function llhttpError(code: number, reason: string, versionMajor: number, versionMinor: number): HttpError {
  switch (code) {
    case LLHTTP.INVALID_VERSION:
      // A well-formed HTTP-version (DIGIT "." DIGIT) that is not 1.0 or 1.1, e.g. HTTP/1.2 or HTTP/3.0: one we
      // do not implement → 505 (RFC 9110 §15.6.6; strict llhttp cannot process 1.2 as 1.1). llhttp names that
      // case alone "Invalid HTTP version" (its digits were just read, so the version fields are this request's);
      // a malformed version ("HTTP/1.", "HTTP/12.1", "HTTP/1.1x") is a 400.
      return reason === WELL_FORMED_UNSUPPORTED_VERSION
        ? new VersionNotSupportedError(`HTTP/${versionMajor}.${versionMinor} is not supported`)
        : new BadRequestError(reason, 'H1W_INVALID_VERSION');
    case LLHTTP.PAUSED_H2_UPGRADE:
      return new VersionNotSupportedError('HTTP/2 is not supported on this port');
    case LLHTTP.CLOSED_CONNECTION:
      return new BadRequestError(reason, 'H1W_DATA_AFTER_CLOSE');
    default:
      return new BadRequestError(reason || 'malformed request', `H1W_${LLHTTP_NAMES[code] ?? 'MALFORMED_REQUEST'}`);
  }
}

export function headTooLarge(limits: ParserLimits): HttpError {
  return new HeadersTooLargeError(`request head larger than ${limits.maxHeaderSize} bytes`);
}

export function tooManyFields(limits: ParserLimits): HttpError {
  return new HeadersTooLargeError(`more than ${limits.maxHeaderCount} header fields`);
}

export function bodyTooLarge(limit: number): HttpError {
  return new ContentTooLargeError(`request body larger than ${limit} bytes`);
}

export function overheadTooLarge(limits: ParserLimits): HttpError {
  return new ContentTooLargeError(`chunk extensions or trailers larger than ${limits.maxChunkOverhead} bytes`, 'H1W_CHUNK_OVERHEAD_TOO_LARGE');
}

export function tooManyEmptyLines(): HttpError {
  return new BadRequestError(`more than ${MAX_EMPTY_LINES} empty lines before a request line`, 'H1W_TOO_MANY_EMPTY_LINES');
}
