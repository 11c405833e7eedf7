import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every level, so equal values always hash the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value instanceof Date) return value.toISOString();
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The hash an approval is bound to: tool, arguments, target environment and charter version. */
export function actionHash(action: {
  tool: string;
  args: Record<string, unknown>;
  environment: string;
  charterHash: string;
}): string {
  return sha256Hex(
    canonicalJson({
      tool: action.tool,
      args: action.args,
      environment: action.environment,
      charterHash: action.charterHash,
    }),
  );
}
