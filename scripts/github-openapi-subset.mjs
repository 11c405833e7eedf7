#!/usr/bin/env node
// Regenerates src/dev/github-emulator/openapi-subset.json from GitHub's official OpenAPI description, so the
// emulator's tests can check every answer against what GitHub documents (and cannot drift from it).
//
//   node scripts/github-openapi-subset.mjs /tmp/oapi/package/generated/api.github.com.deref.json
//
// The input is the dereferenced api.github.com description of `@octokit/openapi` (not a dependency: unpack
// it anywhere). The output keeps, per endpoint the emulator serves, the success-response schemas and the
// request-body schema, without descriptions or examples. Repeated sub-schemas are moved to `$defs` and
// referenced, which keeps the file small; the whole file is one JSON Schema document for ajv.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The endpoints the emulator serves, as `METHOD /path/template` of the OpenAPI description. */
const ENDPOINTS = [
  'GET /app',
  'GET /repos/{owner}/{repo}/installation',
  'POST /app/installations/{installation_id}/access_tokens',
  'DELETE /installation/token',
  'GET /repos/{owner}/{repo}',
  'GET /repos/{owner}/{repo}/deployments',
  'GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses',
  'GET /repos/{owner}/{repo}/compare/{basehead}',
  'GET /repos/{owner}/{repo}/actions/runs',
  'GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs',
  'GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}',
  'POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches',
  'GET /repos/{owner}/{repo}/issues',
  'POST /repos/{owner}/{repo}/issues',
  'GET /repos/{owner}/{repo}/issues/{issue_number}',
  'GET /repos/{owner}/{repo}/issues/{issue_number}/comments',
  'POST /repos/{owner}/{repo}/issues/{issue_number}/comments',
];

/** Keys that document rather than constrain. */
const DROPPED = new Set(['description', 'example', 'examples', 'summary', 'externalDocs', 'title']);
/** Sub-schemas at least this long (as JSON) and seen more than once become `$defs`. */
const SHARED_MIN = 400;

function strip(node) {
  if (Array.isArray(node)) return node.map(strip);
  if (node === null || typeof node !== 'object') return node;
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (DROPPED.has(key) || key.startsWith('x-') || key === 'nullable') continue;
    // `properties` maps names to schemas: a property called "description" is kept.
    out[key] =
      key === 'properties'
        ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, strip(v)]))
        : strip(value);
  }
  return node.nullable === true ? nullable(out) : out;
}

/** OpenAPI 3.0's `nullable: true` as plain JSON Schema, so any validator reads it. */
function nullable(schema) {
  if (typeof schema.type === 'string') {
    const enumWithNull = schema.enum && !schema.enum.includes(null) ? [...schema.enum, null] : schema.enum;
    return { ...schema, type: [schema.type, 'null'], ...(enumWithNull ? { enum: enumWithNull } : {}) };
  }
  return { anyOf: [{ type: 'null' }, schema] };
}

const jsonSchemaOf = (content) => content?.['application/json']?.schema;

function subsetOf(spec) {
  const endpoints = {};
  for (const endpoint of ENDPOINTS) {
    const [method, path] = endpoint.split(' ');
    const operation = spec.paths[path]?.[method.toLowerCase()];
    if (!operation) throw new Error(`${endpoint} is not in the OpenAPI description: check the spec version.`);
    const responses = {};
    for (const [status, response] of Object.entries(operation.responses)) {
      if (!/^2\d\d$/.test(status)) continue;
      responses[status] = strip(jsonSchemaOf(response.content) ?? { not: {} });
    }
    const body = jsonSchemaOf(operation.requestBody?.content);
    endpoints[endpoint] = { responses, ...(body ? { requestBody: strip(body) } : {}) };
  }
  return endpoints;
}

/** Moves sub-schemas that occur more than once into `$defs`, bottom-up, and points at them with `$ref`. */
function share(endpoints) {
  const seen = new Map();
  const count = (node) => {
    if (node === null || typeof node !== 'object') return;
    for (const value of Object.values(node)) count(value);
    if (Array.isArray(node)) return;
    const text = JSON.stringify(node);
    if (text.length >= SHARED_MIN) seen.set(text, (seen.get(text) ?? 0) + 1);
  };
  count(endpoints);
  const defs = {};
  const replace = (node, isProperties = false) => {
    if (node === null || typeof node !== 'object') return node;
    const inner = Array.isArray(node)
      ? node.map((n) => replace(n))
      : Object.fromEntries(Object.entries(node).map(([k, v]) => [k, replace(v, k === 'properties')]));
    if (Array.isArray(node) || isProperties) return inner;
    const text = JSON.stringify(node);
    if ((seen.get(text) ?? 0) < 2) return inner;
    const name = `s${createHash('sha256').update(text).digest('hex').slice(0, 10)}`;
    defs[name] = inner;
    return { $ref: `#/$defs/${name}` };
  };
  const shared = Object.fromEntries(
    Object.entries(endpoints).map(([endpoint, parts]) => [
      endpoint,
      {
        responses: Object.fromEntries(Object.entries(parts.responses).map(([s, v]) => [s, replace(v)])),
        ...(parts.requestBody ? { requestBody: replace(parts.requestBody) } : {}),
      },
    ]),
  );
  return { defs, endpoints: shared };
}

const input = process.argv[2];
if (!input) {
  console.error('usage: node scripts/github-openapi-subset.mjs <path to api.github.com.deref.json>');
  process.exit(2);
}
const spec = JSON.parse(readFileSync(input, 'utf8'));
const { defs, endpoints } = share(subsetOf(spec));
const sortedDefs = Object.fromEntries(Object.entries(defs).sort(([a], [b]) => a.localeCompare(b)));
const output = join(
  dirname(fileURLToPath(import.meta.url)),
  '../src/dev/github-emulator/openapi-subset.json',
);
const document = {
  $id: 'https://warden.invalid/github-openapi-subset.json',
  source: `GitHub REST API ${spec.info?.version ?? ''} (api.github.com), ${ENDPOINTS.length} endpoints`,
  endpoints,
  $defs: sortedDefs,
};
writeFileSync(output, `${JSON.stringify(document)}\n`);
// Laid out as the repository's formatter lays out JSON, so `biome check src` stays clean.
const biome = join(dirname(fileURLToPath(import.meta.url)), '../node_modules/.bin/biome');
try {
  execFileSync(biome, ['format', '--write', output], { stdio: 'ignore' });
} catch {
  console.warn(
    'biome is not installed: the subset is written unformatted (run `npx biome format --write` on it)',
  );
}
console.log(`wrote ${output}: ${ENDPOINTS.length} endpoints, ${Object.keys(defs).length} shared schemas`);
