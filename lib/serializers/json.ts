// Generic JSON: JSON.stringify, the baseline every other serializer is measured against.
import type { Serializer } from './serializer.js';

export interface JsonOptions {
  replacer?: (this: unknown, key: string, value: unknown) => unknown;
  space?: number | string;
}

export function json(options: JsonOptions = {}): Serializer {
  const { replacer, space } = options;
  return {
    name: 'json',
    contentType: 'application/json',
    serialize(value: unknown): string {
      const text = JSON.stringify(value, replacer, space);
      // JSON.stringify returns undefined for undefined, functions and symbols: there is no JSON for them.
      if (text === undefined) throw new TypeError(`${typeof value} cannot be serialized as JSON`);
      return text;
    },
  };
}
