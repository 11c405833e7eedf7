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
    json = JSON.stringify(details, (_key, value: unknown) =>
      typeof value === 'string' ? cleanText(value) : value,
    );
  } catch (error) {
    throw wardenError({
      code: 'audit.invalid_details',
      message: `The details of audit event ${action} are not plain JSON (a BigInt or a cycle?).`,
      cause: error,
    });
  }
  // Keys are cleaned too: jsonb refuses a NUL in a key as much as in a value.
  const parsed: unknown = json === undefined ? undefined : cleanJson(JSON.parse(json));
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw wardenError({
      code: 'audit.invalid_details',
      message: `The details of audit event ${action} must be a JSON object.`,
    });
  }
  return parsed as Record<string, unknown>;
}

export { cleanText };
