// The frame stage: status line, header block and the framing decision (RFC 9112 §6). Pure: values in,
// strings out. Header names and values from user code are checked here, before anything is written: a CR,
// LF or NUL in them could split the response, so it is an error, never escaped and never sent.
import { httpDate } from './date.js';
import { InvalidResponseError } from './errors.js';
import type { HeaderInput } from './result.js';
import { statusHasNoBody, statusLine } from './status.js';

/** How a response body is delimited. */
export const FRAME_NONE = 0; // no body at all (1xx, 204, 304): no length header either
export const FRAME_LENGTH = 1; // Content-Length
export const FRAME_CHUNKED = 2; // Transfer-Encoding: chunked
export const FRAME_CLOSE = 3; // the end of the body is the end of the connection (HTTP/1.0, unknown length)
export type Framing = typeof FRAME_NONE | typeof FRAME_LENGTH | typeof FRAME_CHUNKED | typeof FRAME_CLOSE;
export const FRAMING_NAMES = ['none', 'length', 'chunked', 'close'] as const;

/** What the body is, for the framing decision. */
export const BODY_WHOLE = 0; // a known number of bytes (possibly none)
export const BODY_STREAM = 1; // chunks of a length not known in advance
export type BodyKind = typeof BODY_WHOLE | typeof BODY_STREAM;

/** RFC 9112 §6.3 from the server's side: the one framing a response can use. */
export function chooseFraming(status: number, bodyKind: BodyKind, declaredLength: number, http11: boolean): Framing {
  if (statusHasNoBody(status)) return FRAME_NONE;
  if (bodyKind === BODY_WHOLE || declaredLength >= 0) return FRAME_LENGTH;
  return http11 ? FRAME_CHUNKED : FRAME_CLOSE;
}

// RFC 9110 §5.6.2 token (field names, methods); §5.5 field-value: VCHAR, SP, HTAB and obs-text, nothing else.
// The one copy of each: inject, the light Response and the forwarding parser check against these too.
export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
export const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const NON_ASCII = /[\x80-\xff]/;

/** A checked header block, with what the server needs to know about it. */
export interface HeaderBlock {
  /** "Name: value\r\n" lines, in the order given. */
  text: string;
  contentType: boolean;
  date: boolean;
  /** The user asked for `Connection: close`. */
  close: boolean;
  /** A Content-Length the user set, or -1. */
  contentLength: number;
  /** An Allow field is among them (a 405 must have one). */
  allow: boolean;
  /** Some value holds obs-text (bytes 0x80–0xFF): the head must be written as latin1, not UTF-8. */
  latin1: boolean;
}

export const EMPTY_HEADERS: Readonly<HeaderBlock> = Object.freeze({
  text: '',
  contentType: false,
  date: false,
  close: false,
  contentLength: -1,
  allow: false,
  latin1: false,
});

/** Checks and renders user headers. Throws InvalidResponseError on anything that must not be sent. */
export function headerBlock(input: HeaderInput | undefined): HeaderBlock {
  if (input === undefined || input === null) return EMPTY_HEADERS;
  const block: HeaderBlock = { text: '', contentType: false, date: false, close: false, contentLength: -1, allow: false, latin1: false };
  if (Array.isArray(input)) {
    for (const pair of input as readonly (readonly [string, string | number])[]) {
      if (!Array.isArray(pair) || pair.length !== 2) throw new InvalidResponseError('header pairs must be [name, value]', 'H1W_INVALID_HEADER');
      addField(block, pair[0], pair[1]);
    }
  } else if (typeof input === 'object') {
    for (const name in input) {
      const value = (input as Record<string, unknown>)[name];
      if (value === undefined) continue;
      if (Array.isArray(value)) for (const v of value) addField(block, name, v);
      else addField(block, name, value);
    }
  } else {
    throw new InvalidResponseError('headers must be an object or a list of [name, value] pairs', 'H1W_INVALID_HEADER');
  }
  return block;
}

function addField(block: HeaderBlock, name: unknown, raw: unknown): void {
  if (typeof name !== 'string' || !TOKEN.test(name)) {
    throw new InvalidResponseError(`invalid header name ${JSON.stringify(String(name))}`, 'H1W_INVALID_HEADER');
  }
  if (typeof raw !== 'string' && typeof raw !== 'number') {
    throw new InvalidResponseError(`header "${name}" has a ${typeof raw} value`, 'H1W_INVALID_HEADER');
  }
  const value = typeof raw === 'number' ? String(raw) : raw;
  if (!FIELD_VALUE.test(value)) {
    throw new InvalidResponseError(`header "${name}" holds a forbidden character (CR, LF, NUL or a control)`, 'H1W_INVALID_HEADER');
  }
  switch (name.toLowerCase()) {
    case 'content-type':
      block.contentType = true;
      break;
    case 'date':
      block.date = true;
      break;
    case 'allow':
      block.allow = true;
      break;
    case 'content-length': {
      // A declared length (for a stream) or a check (for a whole body); the server writes the header itself.
      if (!/^[0-9]{1,15}$/.test(value)) throw new InvalidResponseError(`invalid Content-Length "${value}"`, 'H1W_INVALID_HEADER');
      const length = Number(value);
      if (block.contentLength >= 0 && block.contentLength !== length) {
        throw new InvalidResponseError('two different Content-Length values', 'H1W_INVALID_HEADER');
      }
      block.contentLength = length;
      return;
    }
    case 'transfer-encoding':
      throw new InvalidResponseError('Transfer-Encoding is decided by the server; return a stream for chunked', 'H1W_INVALID_HEADER');
    case 'connection': {
      const tokens = value.toLowerCase().split(',').map((t) => t.trim());
      if (tokens.includes('close')) block.close = true;
      else if (!tokens.every((t) => t === 'keep-alive' || t === '')) {
        throw new InvalidResponseError(`Connection "${value}" is not supported (only close)`, 'H1W_INVALID_HEADER');
      }
      return; // the server writes Connection itself
    }
    case 'keep-alive':
      return; // the server advertises its own timeout
  }
  if (!block.latin1 && NON_ASCII.test(value)) block.latin1 = true;
  block.text += `${name}: ${value}\r\n`;
}

/** What a response breaks that it can still be sent with, as a warning code, or null. RFC 9110 §15.5.6: an
 * origin server MUST send Allow with a 405; the server cannot know the methods, so it says so instead. */
export function responseWarning(status: number, block: HeaderBlock): string | null {
  return status === 405 && !block.allow ? 'H1W_405_WITHOUT_ALLOW' : null;
}

/** The connection-management lines of a response. */
export interface ConnectionLines {
  /** Sent on responses that keep the connection ("Connection: keep-alive\r\nKeep-Alive: timeout=5\r\n"). */
  keepAlive: string;
  close: string;
}

export function connectionLines(keepAliveSeconds: number): ConnectionLines {
  return {
    // Keep-Alive is a hint in whole seconds; below one second there is nothing useful to advertise.
    keepAlive:
      keepAliveSeconds > 0 ? `Connection: keep-alive\r\nKeep-Alive: timeout=${keepAliveSeconds}\r\n` : 'Connection: keep-alive\r\n',
    close: 'Connection: close\r\n',
  };
}

// The common head (no user headers, a Content-Type, a Content-Length) is three pieces: a cached prefix up to
// "Content-Length: ", the number, and a tail (Date and connection lines) cached for the current second.
// One remembered prefix per status (a server mostly answers one content type per status), and the tails of
// the last two connection lines seen (keep-alive and close), remade when the second changes.
const prefixType: (string | undefined)[] = [];
const prefixText: string[] = [];
let tailsDate = '';
let tailConnA = '';
let tailA = '';
let tailConnB = '';
let tailB = '';

function lengthPrefix(status: number, contentType: string): string {
  if (prefixType[status] === contentType) return prefixText[status] as string;
  const prefix = `${statusLine(status)}Content-Type: ${contentType}\r\nContent-Length: `;
  prefixType[status] = contentType;
  prefixText[status] = prefix;
  return prefix;
}

function dateTail(connection: string): string {
  const date = httpDate();
  if (date !== tailsDate) {
    tailsDate = date;
    tailConnA = tailConnB = '';
  }
  if (connection === tailConnA) return tailA;
  if (connection === tailConnB) return tailB;
  const tail = `\r\nDate: ${date}\r\n${connection}\r\n`;
  tailConnB = tailConnA;
  tailB = tailA;
  tailConnA = connection;
  tailA = tail;
  return tail;
}

/** The whole response head. `length` is used with FRAME_LENGTH only; `contentType` null sends none; a non-empty
 * `reason` replaces the standard reason phrase. */
export function buildHead(
  status: number,
  block: HeaderBlock,
  contentType: string | null,
  framing: number,
  length: number,
  connection: string,
  extra = '',
  reason = '',
): string {
  if (block === EMPTY_HEADERS && framing === FRAME_LENGTH && contentType !== null && extra === '' && reason === '') {
    return lengthPrefix(status, contentType) + length + dateTail(connection);
  }
  let head = reason === '' ? statusLine(status) : `HTTP/1.1 ${status} ${reason}\r\n`;
  if (contentType !== null && !block.contentType && framing !== FRAME_NONE) head += `Content-Type: ${contentType}\r\n`;
  head += block.text;
  if (framing === FRAME_LENGTH) head += `Content-Length: ${length}\r\n`;
  else if (framing === FRAME_CHUNKED) head += 'Transfer-Encoding: chunked\r\n';
  if (!block.date) head += `Date: ${httpDate()}\r\n`;
  return `${head}${extra}${connection}\r\n`;
}
