// Schema-compiled JSON: fast-json-stringify turns a JSON Schema into a specialised stringify function, once,
// when the serializer is made. It is faster than JSON.stringify on small, known shapes; on large arrays the
// gap narrows or reverses (bench/micro measures both). Values the schema cannot represent throw → 500.
import { createRequire } from 'node:module';
import type { Serializer } from './serializer.js';

const require = createRequire(import.meta.url);

type Compile = (schema: JsonSchema) => (value: unknown) => string;
let compile: Compile | null = null;

export type JsonSchema = Record<string, unknown>;

export function schemaJson(schema: JsonSchema, name = 'schema-json'): Serializer {
  // Loaded on first use: fast-json-stringify brings Ajv with it, megabytes a server without schemas never needs.
  compile ??= require('fast-json-stringify') as Compile;
  const stringify = compile(schema);
  return {
    name,
    contentType: 'application/json',
    serialize(value: unknown): string {
      return stringify(value);
    },
  };
}
