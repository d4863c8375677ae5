// Chunked transfer coding (RFC 9112 §7.1): size line, data, CRLF; a zero-size chunk and trailers end it.

/** The line before a chunk of `size` bytes (size must be > 0: a zero-size chunk ends the body). */
export function chunkHead(size: number): string {
  return `${size.toString(16)}\r\n`;
}

/** What follows each chunk's data. */
export const CHUNK_TAIL = '\r\n';

/** The last chunk, with an already validated trailer block ("Name: value\r\n" lines, or ""). */
export function lastChunk(trailerBlock: string): string {
  return `0\r\n${trailerBlock}\r\n`;
}

/** A whole chunk as one string, for string data. */
export function chunkOf(data: string, byteLength: number): string {
  return `${byteLength.toString(16)}\r\n${data}\r\n`;
}
