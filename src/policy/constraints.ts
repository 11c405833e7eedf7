import type { ArgConstraint } from './charter.schemas.ts';

/**
 * Argument constraints, shared by a tool's `constraints` (which must hold) and a prohibition's `when`
 * (which must all match for the prohibition to apply).
 *
 * Semantics, one condition at a time (every condition given must hold):
 * - `equals`, `in`, `not_in`: strict equality (`3` is not `"3"`).
 * - `min`/`max` are inclusive, `lt`/`gt` exclusive; the value must be a finite number.
 * - `pattern`: `new RegExp(pattern).test(String(value))`, unanchored: write `^…$` to match the whole value.
 * - `max_length`: the value must be a string of at most that many characters.
 * A missing argument (undefined or null) satisfies no condition. A name with dots (`filter.namespace`)
 * that is not itself an argument reaches into nested objects.
 */

export type ConstraintViolation = {
  arg: string;
  /** The condition that failed, in words, e.g. `must be at most 20 (got 25)`. */
  condition: string;
};

type ConditionKey = keyof ArgConstraint;

// Checked in this order so messages are stable.
const CONDITION_KEYS: ConditionKey[] = [
  'equals',
  'in',
  'not_in',
  'min',
  'max',
  'lt',
  'gt',
  'pattern',
  'max_length',
];

/** Whether one value meets every condition of a constraint; names the first condition that fails. */
export function checkConstraint({
  value,
  constraint,
}: {
  value: unknown;
  constraint: ArgConstraint;
}): { ok: true } | { ok: false; condition: string } {
  if (value === undefined || value === null) return { ok: false, condition: 'is required but was not given' };
  for (const key of CONDITION_KEYS) {
    if (constraint[key] === undefined) continue;
    if (!holds({ key, constraint, value }))
      return { ok: false, condition: describeFailure({ key, constraint, value }) };
  }
  return { ok: true };
}

/** The first argument that breaks the tool's constraints (argument names in sorted order), or null. */
export function findConstraintViolation({
  args,
  constraints,
}: {
  args: Record<string, unknown>;
  constraints: Record<string, ArgConstraint> | undefined;
}): { violation: ConstraintViolation | null } {
  for (const arg of Object.keys(constraints ?? {}).sort()) {
    const constraint = constraints?.[arg];
    if (!constraint) continue;
    const result = checkConstraint({ value: argValue(args, arg), constraint });
    if (!result.ok) return { violation: { arg, condition: result.condition } };
  }
  return { violation: null };
}

/** Whether the arguments match every condition of a prohibition's `when` (an absent `when` always matches). */
export function matchesWhen({
  args,
  when,
}: {
  args: Record<string, unknown>;
  when: Record<string, ArgConstraint> | undefined;
}): boolean {
  return Object.entries(when ?? {}).every(
    ([arg, constraint]) => checkConstraint({ value: argValue(args, arg), constraint }).ok,
  );
}

/** The condition in words, for messages and `describeCharter`, e.g. `at least 1 and at most 20`. */
export function describeConstraint({ constraint }: { constraint: ArgConstraint }): string {
  const parts: string[] = [];
  if (constraint.equals !== undefined) parts.push(`equal to ${show(constraint.equals)}`);
  if (constraint.in) parts.push(`one of ${constraint.in.map(show).join(', ')}`);
  if (constraint.not_in) parts.push(`none of ${constraint.not_in.map(show).join(', ')}`);
  if (constraint.min !== undefined) parts.push(`at least ${constraint.min}`);
  if (constraint.max !== undefined) parts.push(`at most ${constraint.max}`);
  if (constraint.gt !== undefined) parts.push(`greater than ${constraint.gt}`);
  if (constraint.lt !== undefined) parts.push(`less than ${constraint.lt}`);
  if (constraint.pattern !== undefined) parts.push(`matching /${constraint.pattern}/`);
  if (constraint.max_length !== undefined) parts.push(`at most ${constraint.max_length} characters long`);
  return parts.join(' and ');
}

// Own properties only: an argument called `constructor` or `__proto__` must not read the prototype.
/**
 * The value a constraint names: an argument, or — when no argument has the name and it has dots — a value
 * nested in object arguments by path (`filter.namespace`), for tools whose input nests (MCP servers').
 */
function argValue(args: Record<string, unknown>, arg: string): unknown {
  if (Object.hasOwn(args, arg)) return args[arg];
  if (!arg.includes('.')) return undefined;
  let value: unknown = args;
  for (const key of arg.split('.')) {
    if (!value || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, key))
      return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function holds({
  key,
  constraint,
  value,
}: {
  key: ConditionKey;
  constraint: ArgConstraint;
  value: unknown;
}): boolean {
  const isNumber = typeof value === 'number' && Number.isFinite(value);
  switch (key) {
    case 'equals':
      return value === constraint.equals;
    case 'in':
      return (constraint.in ?? []).some((v) => v === value);
    case 'not_in':
      return !(constraint.not_in ?? []).some((v) => v === value);
    case 'min':
      return isNumber && value >= (constraint.min as number);
    case 'max':
      return isNumber && value <= (constraint.max as number);
    case 'lt':
      return isNumber && value < (constraint.lt as number);
    case 'gt':
      return isNumber && value > (constraint.gt as number);
    case 'pattern':
      return new RegExp(constraint.pattern as string).test(String(value));
    case 'max_length':
      return typeof value === 'string' && value.length <= (constraint.max_length as number);
  }
}

function describeFailure({
  key,
  constraint,
  value,
}: {
  key: ConditionKey;
  constraint: ArgConstraint;
  value: unknown;
}) {
  const got = `(got ${show(value)})`;
  const numeric =
    ['min', 'max', 'lt', 'gt'].includes(key) && !(typeof value === 'number' && Number.isFinite(value));
  if (numeric) return `must be a number ${got}`;
  switch (key) {
    case 'equals':
      return `must equal ${show(constraint.equals)} ${got}`;
    case 'in':
      return `must be one of ${(constraint.in ?? []).map(show).join(', ')} ${got}`;
    case 'not_in':
      return `must not be one of ${(constraint.not_in ?? []).map(show).join(', ')} ${got}`;
    case 'min':
      return `must be at least ${constraint.min} ${got}`;
    case 'max':
      return `must be at most ${constraint.max} ${got}`;
    case 'lt':
      return `must be less than ${constraint.lt} ${got}`;
    case 'gt':
      return `must be greater than ${constraint.gt} ${got}`;
    case 'pattern':
      return `must match /${constraint.pattern}/ ${got}`;
    case 'max_length':
      return typeof value === 'string'
        ? `must be at most ${constraint.max_length} characters long (got ${value.length})`
        : `must be a string of at most ${constraint.max_length} characters ${got}`;
  }
}

// Values come from the model: show them short, so a message stays one readable line.
function show(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(JSON.stringify(value) ?? value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
