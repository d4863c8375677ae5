// The serializers h1wire ships, and the contract for your own.
export { checkSerializer, type Chunk, type Serializer } from './serializer.js';
export { json, type JsonOptions } from './json.js';
export { text } from './text.js';
export { bytes } from './bytes.js';
export { schemaJson, type JsonSchema } from './schema-json.js';
export { negotiate } from './negotiate.js';
export { jsonArray, type JsonArrayOptions } from './json-array.js';
export { ndjson, type NdjsonOptions } from './ndjson.js';
export { html, Html, unsafeHtml, escapeHtml } from './html.js';
