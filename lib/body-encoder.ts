// The body encoders: how a streamed response body is delimited on the wire (RFC 9112 §6.3, §7.1). Pure: chunks
// in, framed pieces out; no socket, no promise, no timing. The write queue decides when a piece goes out and
// how pieces are batched; an encoder decides only what the bytes are. One per framing:
//
// - length (Content-Length): the data as is; it counts the bytes, and a body that goes past its declared
//   length, or ends short of it, is a StreamAbortedError 'H1W_LENGTH_MISMATCH' (thrown before any byte of
//   the offending chunk is given out).
// - chunked: each chunk as its size line, its data and a CRLF; the end is the zero-size chunk, the trailer
//   fields and the CRLF that ends them.
// - close-delimited (HTTP/1.0, length unknown): the data as is; the end of the connection ends the body.
//
// Pieces go to a BodyOutput as (data, encoding, bytes on the wire). They are shaped for the queue's batching,
// which joins adjacent strings of the same encoding into one write: a string every character of which is one
// byte (ASCII) comes as latin1, which Node writes much faster than UTF-8; a small Uint8Array comes as the
// latin1 string of its bytes, so it joins its neighbours instead of costing an iovec of its own; and a chunk's
// framing is joined to string data, in the data's encoding (the framing is ASCII, the same bytes in both).
//
// A chunk too large to leave in one write goes in slices: begin(bytes), slice() for each, finish() —
// one chunk on the wire (one size line), however many writes it takes.
import { Buffer } from 'node:buffer';
import { CHUNK_TAIL, chunkHead, chunkOf, lastChunk } from './chunked.js';
import { StreamAbortedError } from './errors.js';
import { FRAME_CHUNKED, FRAME_CLOSE, FRAME_LENGTH } from './frame.js';
import type { Chunk } from './serializers/serializer.js';

/** Uint8Arrays up to this size are given out as latin1 strings, to be joined with what surrounds them. */
export const SMALL_CHUNK = 1024;

/** Where an encoder's pieces go (the write queue). `byteLength` is what the piece is on the wire. */
export interface BodyOutput {
  push(data: Chunk, encoding: BufferEncoding, byteLength: number): void;
}

export interface BodyEncoder {
  /** The framing carries trailer fields (chunked alone): the caller resolves them for end(). */
  readonly carriesTrailers: boolean;
  /** One chunk of `byteLength` bytes (its UTF-8 length, for a string), framed. An empty chunk gives nothing. */
  data(chunk: Chunk, byteLength: number, out: BodyOutput): void;
  /** A chunk of `byteLength` (> 0) bytes that follows in slices: what goes before its first slice. */
  begin(byteLength: number, out: BodyOutput): void;
  /** One slice of the chunk begun, as is. */
  slice(bytes: Uint8Array, out: BodyOutput): void;
  /** The chunk begun is complete: what goes after its last slice. */
  finish(out: BodyOutput): void;
  /** The body is complete: its last bytes. `trailerBlock` is a checked "Name: value\r\n"… block, or "". */
  end(trailerBlock: string, out: BodyOutput): void;
}

/** The encoder for a response body framed as `framing` (FRAME_LENGTH: `length` is its declared length). */
export function bodyEncoder(framing: number, length: number): BodyEncoder {
  switch (framing) {
    case FRAME_LENGTH:
      return new LengthEncoder(length);
    case FRAME_CHUNKED:
      return CHUNKED;
    case FRAME_CLOSE:
      return CLOSE;
    default:
      throw new RangeError(`framing ${framing} has no body to encode`);
  }
}

/** The exact bytes of a Uint8Array, as a string of one character per byte. */
function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** Data as is: a string in the encoding that writes it fastest, a small Uint8Array as a latin1 string. */
function pushData(chunk: Chunk, byteLength: number, out: BodyOutput): void {
  if (typeof chunk === 'string') out.push(chunk, byteLength === chunk.length ? 'latin1' : 'utf8', byteLength);
  else if (byteLength <= SMALL_CHUNK) out.push(latin1(chunk), 'latin1', byteLength);
  else out.push(chunk, 'utf8', byteLength);
}

function pushSlice(bytes: Uint8Array, out: BodyOutput): void {
  out.push(bytes, 'utf8', bytes.byteLength);
}

/** Close-delimited: nothing but the data; nothing marks the end. */
class CloseEncoder implements BodyEncoder {
  readonly carriesTrailers = false;

  data(chunk: Chunk, byteLength: number, out: BodyOutput): void {
    if (byteLength > 0) pushData(chunk, byteLength, out);
  }
  begin(): void {}
  slice(bytes: Uint8Array, out: BodyOutput): void {
    pushSlice(bytes, out);
  }
  finish(): void {}
  end(): void {}
}

/** Content-Length: the data as is, counted against the declared length. */
class LengthEncoder implements BodyEncoder {
  readonly carriesTrailers = false;
  private readonly declared: number;
  private sent = 0;

  constructor(declared: number) {
    this.declared = declared;
  }

  data(chunk: Chunk, byteLength: number, out: BodyOutput): void {
    this.count(byteLength);
    if (byteLength > 0) pushData(chunk, byteLength, out);
  }
  begin(byteLength: number): void {
    this.count(byteLength);
  }
  slice(bytes: Uint8Array, out: BodyOutput): void {
    pushSlice(bytes, out);
  }
  finish(): void {}
  end(): void {
    if (this.sent !== this.declared) {
      throw new StreamAbortedError(`the body ended after ${this.sent} of its declared ${this.declared} bytes`, 'H1W_LENGTH_MISMATCH');
    }
  }

  private count(byteLength: number): void {
    this.sent += byteLength;
    if (this.sent > this.declared) {
      throw new StreamAbortedError(`the body is longer than its declared ${this.declared} bytes`, 'H1W_LENGTH_MISMATCH');
    }
  }
}

/** Transfer-Encoding: chunked. Stateless: one instance serves every response. */
class ChunkedEncoder implements BodyEncoder {
  readonly carriesTrailers = true;

  data(chunk: Chunk, byteLength: number, out: BodyOutput): void {
    if (byteLength === 0) return; // a zero-size chunk would end the body
    if (typeof chunk !== 'string' && byteLength > SMALL_CHUNK) {
      this.begin(byteLength, out);
      pushSlice(chunk, out);
      this.finish(out);
      return;
    }
    // String data (or a small Uint8Array as its latin1 string): size line, data and CRLF as one string.
    const text = typeof chunk === 'string' ? chunk : latin1(chunk);
    const encoding = typeof chunk !== 'string' || byteLength === chunk.length ? 'latin1' : 'utf8';
    out.push(chunkOf(text, byteLength), encoding, byteLength + 4 + byteLength.toString(16).length);
  }
  begin(byteLength: number, out: BodyOutput): void {
    const line = chunkHead(byteLength);
    out.push(line, 'latin1', line.length);
  }
  slice(bytes: Uint8Array, out: BodyOutput): void {
    pushSlice(bytes, out);
  }
  finish(out: BodyOutput): void {
    out.push(CHUNK_TAIL, 'latin1', CHUNK_TAIL.length);
  }
  end(trailerBlock: string, out: BodyOutput): void {
    const last = lastChunk(trailerBlock);
    out.push(last, 'latin1', last.length);
  }
}

const CHUNKED = new ChunkedEncoder();
const CLOSE = new CloseEncoder();
