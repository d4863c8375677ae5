// Raw bytes: Uint8Array (Buffer included), ArrayBuffer or a typed-array view, sent as they are.
import type { Serializer } from './serializer.js';

export function bytes(contentType = 'application/octet-stream'): Serializer {
  return {
    name: 'bytes',
    contentType,
    serialize(value: unknown): Uint8Array {
      if (value instanceof Uint8Array) return value;
      if (value instanceof ArrayBuffer) return new Uint8Array(value);
      if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
      throw new TypeError('the bytes serializer takes a Uint8Array, an ArrayBuffer or a view of one');
    },
  };
}
