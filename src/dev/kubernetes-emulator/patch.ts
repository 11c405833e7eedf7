import type { Json, JsonObject } from './emulator.types.ts';
import { applyStrategicMergePatch } from './strategic-merge.ts';

/** A patch the server could not apply; `code` is what it answers (400 undecodable, 422 inapplicable). */
export class PatchError extends Error {
  constructor(
    readonly code: 400 | 422,
    message: string,
  ) {
    super(message);
  }
}

export const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
] as const;
export type PatchType = (typeof PATCH_TYPES)[number];

const isObject = (value: Json | undefined): value is JsonObject =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** RFC 7386 JSON merge patch: objects merge, null deletes, anything else (arrays too) replaces. */
export function applyMergePatch(target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return patch;
  const result: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new PatchError(422, `invalid JSON pointer: ${pointer}`);
  return pointer
    .slice(1)
    .split('/')
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/** The container holding the last segment of `path`, and that segment. */
function locate(document: Json, path: string[], op: string): { parent: JsonObject | Json[]; last: string } {
  let current: Json | undefined = document;
  for (const part of path.slice(0, -1)) {
    current = Array.isArray(current) ? current[Number(part)] : isObject(current) ? current[part] : undefined;
    if (current === undefined)
      throw new PatchError(422, `${op} operation does not apply: doc is missing path: /${path.join('/')}`);
  }
  const last = path.at(-1);
  if (last === undefined || current === null || typeof current !== 'object')
    throw new PatchError(422, `${op} operation does not apply: doc is missing path: /${path.join('/')}`);
  return { parent: current, last };
}

function read(document: Json, path: string[], op: string): Json {
  if (path.length === 0) return document;
  const { parent, last } = locate(document, path, op);
  const value = Array.isArray(parent) ? parent[Number(last)] : parent[last];
  if (value === undefined)
    throw new PatchError(422, `${op} operation does not apply: doc is missing key: /${path.join('/')}`);
  return value;
}

function write(document: Json, path: string[], value: Json, mode: 'add' | 'replace' | 'remove'): Json {
  if (path.length === 0) return mode === 'remove' ? null : value;
  const { parent, last } = locate(document, path, mode);
  if (Array.isArray(parent)) {
    const index = last === '-' ? parent.length : Number(last);
    if (!Number.isInteger(index) || index < 0 || index > parent.length - (mode === 'add' ? 0 : 1))
      throw new PatchError(422, `${mode} operation does not apply: index out of range: ${last}`);
    if (mode === 'add') parent.splice(index, 0, value);
    else if (mode === 'replace') parent[index] = value;
    else parent.splice(index, 1);
  } else {
    if (mode !== 'add' && !Object.hasOwn(parent, last))
      throw new PatchError(422, `${mode} operation does not apply: doc is missing key: /${path.join('/')}`);
    if (mode === 'remove') delete parent[last];
    else parent[last] = value;
  }
  return document;
}

/** RFC 6902 JSON patch (what `kubectl rollout undo` sends to replace `/spec/template`). */
export function applyJsonPatch(target: Json, patch: Json): Json {
  if (!Array.isArray(patch))
    throw new PatchError(400, 'json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  let document = structuredClone(target);
  for (const operation of patch) {
    if (!isObject(operation) || typeof operation.op !== 'string' || typeof operation.path !== 'string')
      throw new PatchError(400, 'invalid JSON patch operation: each needs "op" and "path"');
    const path = parsePointer(operation.path);
    const from = typeof operation.from === 'string' ? parsePointer(operation.from) : undefined;
    const value = operation.value;
    switch (operation.op) {
      case 'add':
      case 'replace':
        if (value === undefined) throw new PatchError(400, `${operation.op} operation has no value`);
        document = write(document, path, structuredClone(value), operation.op);
        break;
      case 'remove':
        document = write(document, path, null, 'remove');
        break;
      case 'move':
      case 'copy': {
        if (!from) throw new PatchError(400, `${operation.op} operation has no from`);
        const moved = structuredClone(read(document, from, operation.op));
        if (operation.op === 'move') document = write(document, from, null, 'remove');
        document = write(document, path, moved, 'add');
        break;
      }
      case 'test':
        if (JSON.stringify(read(document, path, 'test')) !== JSON.stringify(value))
          throw new PatchError(422, `testing value ${operation.path} failed: test failed`);
        break;
      default:
        throw new PatchError(400, `Unexpected kind: ${operation.op}`);
    }
  }
  return document;
}

/** Applies a PATCH body of the given content type to an object. */
export function applyPatch({
  type,
  target,
  patch,
}: {
  type: PatchType;
  target: JsonObject;
  patch: Json;
}): Json {
  if (type === 'application/json-patch+json') return applyJsonPatch(target, patch);
  if (!isObject(patch))
    throw new PatchError(400, 'json: cannot unmarshal array into Go value of type map[string]interface {}');
  if (type === 'application/merge-patch+json') return applyMergePatch(target, patch);
  return applyStrategicMergePatch(target, patch);
}
