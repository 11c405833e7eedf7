import { wardenError } from '../shared/errors.ts';

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
  const parsed: unknown = json === undefined ? undefined : JSON.parse(json);
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw wardenError({
      code: 'audit.invalid_details',
      message: `The details of audit event ${action} must be a JSON object.`,
    });
  }
  return parsed as Record<string, unknown>;
}

const NUL = String.fromCharCode(0);
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Postgres text and jsonb refuse NUL and lone UTF-16 surrogates; odd tool output must not block the audit. */
export function cleanText(value: string): string {
  const withoutNul = value.includes(NUL) ? value.replaceAll(NUL, '\uFFFD') : value;
  return withoutNul.replace(LONE_SURROGATE, '\uFFFD');
}
