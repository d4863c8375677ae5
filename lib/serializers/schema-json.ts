// Schema-compiled JSON: fast-json-stringify turns a JSON Schema into a specialised stringify function, once,
// when the serializer is made. It is faster than JSON.stringify on small, known shapes; on large arrays the
// gap narrows or reverses (bench/micro measures both). Values the schema cannot represent throw → 500.
import fastJson from 'fast-json-stringify';
import type { Serializer } from './serializer.js';

export type JsonSchema = Record<string, unknown>;

export function schemaJson(schema: JsonSchema, name = 'schema-json'): Serializer {
  const stringify = (fastJson as unknown as (s: JsonSchema) => (value: unknown) => string)(schema);
  return {
    name,
    contentType: 'application/json',
    serialize(value: unknown): string {
      return stringify(value);
    },
  };
}
