/** An error with a machine code (`domain.snake_case`) and a sentence meant for a person. */
export class WardenError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown>;

  constructor({ code, message, details = {}, cause }: WardenErrorInit) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'WardenError';
    this.code = code;
    this.details = details;
  }
}

export type WardenErrorInit = {
  code: string;
  message: string;
  details?: Record<string, unknown>;
  cause?: unknown;
};

/** Makes an error with a code; the one factory every layer uses. */
export function wardenError(init: WardenErrorInit): WardenError {
  return new WardenError(init);
}

export function isWardenError(error: unknown, code?: string): error is WardenError {
  return error instanceof WardenError && (code === undefined || error.code === code);
}

/** The Postgres error code behind a driver or drizzle error (`DrizzleQueryError` keeps it in `cause`). */
export function postgresErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
