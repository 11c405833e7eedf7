import type { Json, JsonObject } from './emulator.types.ts';

export type Params = Record<string, Json>;

/** Reads a body the way Slack does: form-encoded (values are strings) or JSON. */
export function parseBody({ raw, contentType }: { raw: string; contentType: string }): {
  params: Params;
  error: string | null;
} {
  if (raw.trim() === '') return { params: {}, error: null };
  if (contentType.includes('application/json')) {
    try {
      const parsed: unknown = JSON.parse(raw);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        return { params: {}, error: 'invalid_json' };
      }
      return { params: parsed as Params, error: null };
    } catch {
      return { params: {}, error: 'invalid_json' };
    }
  }
  if (contentType.includes('application/x-www-form-urlencoded') || contentType === '') {
    return { params: Object.fromEntries(new URLSearchParams(raw)), error: null };
  }
  return { params: {}, error: 'invalid_post_type' };
}

/** A string argument; numbers (JSON bodies) are accepted as their text. */
export function readString(params: Params, key: string): string | undefined {
  const value = params[key];
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

/** A boolean argument: `true`, `"true"` or `"1"`. */
export function readBoolean(params: Params, key: string): boolean {
  const value = params[key];
  return value === true || value === 'true' || value === '1' || value === 1;
}

export type JsonArgument =
  | { present: false }
  | { present: true; value: Json }
  | { present: true; invalid: true };

/** An argument Slack takes as a JSON-encoded string in forms and as plain JSON in JSON bodies. */
export function readJson(params: Params, key: string): JsonArgument {
  const value = params[key];
  if (value === undefined || value === null || value === '') return { present: false };
  if (typeof value !== 'string') return { present: true, value };
  try {
    return { present: true, value: JSON.parse(value) as Json };
  } catch {
    return { present: true, invalid: true };
  }
}

/** Narrows JSON to an object. */
export function isJsonObject(value: Json | undefined): value is JsonObject {
  return value !== null && value !== undefined && typeof value === 'object' && !Array.isArray(value);
}

/** Narrows JSON to an array of objects. */
export function isObjectArray(value: Json | undefined): value is JsonObject[] {
  return Array.isArray(value) && value.every((item) => isJsonObject(item));
}
