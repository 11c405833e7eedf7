import { wardenError } from '../shared/errors.ts';
import { cleanJson, cleanText } from '../shared/storable.ts';

/**
 * `details` as the plain JSON object jsonb will store and the hash will cover: a round trip through
 * `JSON.stringify` (Dates become ISO strings, `undefined` keys vanish), or a coded error when it cannot be JSON.
 */
export function plainJsonDetails({
  action,
  details,
}: {
  action: string;
  details: Record<string, unknown> | undefined;
}): Record<string, unknown> {
  if (details === undefined) return {};
  let json: string | undefined;
  try {
    json = JSON.stringify(details);
  } catch (error) {
    throw wardenError({
      code: 'audit.invalid_details',
      message: `The details of audit event ${action} are not plain JSON (a BigInt or a cycle?).`,
      cause: error,
    });
  }
  // Strings and keys are cleaned after the round trip: jsonb refuses a NUL in a key as much as in a value.
  // JSON.stringify writes a NUL and a lone surrogate as escapes (`\u0000`, `\udc00`), so text without them
  // holds neither and is left as parsed.
  const parsed: unknown =
    json === undefined ? undefined : mayHoldUnstorable(json) ? cleanJson(JSON.parse(json)) : JSON.parse(json);
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw wardenError({
      code: 'audit.invalid_details',
      message: `The details of audit event ${action} must be a JSON object.`,
    });
  }
  return parsed as Record<string, unknown>;
}

/** Whether JSON text may hold a NUL or a lone surrogate: JSON.stringify escapes both, in lower-case hex. */
function mayHoldUnstorable(json: string): boolean {
  return json.includes('\\u0000') || LONE_SURROGATE_ESCAPE.test(json);
}
const LONE_SURROGATE_ESCAPE = /\\ud[89a-f]/;

export { cleanText };
