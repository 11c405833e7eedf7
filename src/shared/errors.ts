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

/** An error and the errors behind it (`cause`), outermost first: drizzle wraps the driver's error. */
export function* causesOf(error: unknown): Generator<unknown> {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    yield current;
    current = (current as { cause?: unknown }).cause;
  }
}

/** The first string `code` on an error or its causes (a Postgres SQLSTATE, a driver or socket code). */
export function errorCode(error: unknown, matching: RegExp = /./): string | undefined {
  for (const at of causesOf(error)) {
    const code = (at as { code?: unknown }).code;
    if (typeof code === 'string' && matching.test(code)) return code;
  }
  return undefined;
}

/** The Postgres error code behind a driver or drizzle error (`DrizzleQueryError` keeps it in `cause`). */
export function postgresErrorCode(error: unknown): string | undefined {
  return errorCode(error, /^[0-9A-Z]{5}$/);
}

/** The innermost error's first line: the driver's own words, not drizzle's multi-line `Failed query: …`. */
export function rootMessage(error: unknown): string {
  let message = String(error);
  for (const at of causesOf(error)) if (at instanceof Error && at.message) message = at.message;
  return message.split('\n')[0] ?? message;
}
