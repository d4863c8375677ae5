// Plain text: strings as they are, anything else through String().
import type { Serializer } from './serializer.js';

export function text(contentType = 'text/plain; charset=utf-8'): Serializer {
  return {
    name: 'text',
    contentType,
    serialize(value: unknown): string {
      return typeof value === 'string' ? value : String(value);
    },
  };
}
