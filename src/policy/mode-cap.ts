import { z } from 'zod';
import { type CharterSpec, MODES, type Mode } from './charter.schemas.ts';

/** The mode a run started by an alert is capped at where its charter says nothing (`alert_runs` absent). */
export const DEFAULT_ALERT_RUN_MODE: Mode = 'read_only';

/** What `rule` says when a run's mode cap, not the charter's environment mode, decided. */
export const RUN_MODE_CAP_RULE = 'run.mode_cap';

/**
 * How much each mode lets a write do without a person. `read_only` and `shadow` rank the same: neither
 * ever runs a write (read_only denies it, shadow records it), so between the two the charter's own mode
 * stands — a shadow environment keeps collecting its recorded proposals, and a read-only one its denials.
 */
const AUTONOMY: Record<Mode, number> = {
  read_only: 0,
  shadow: 0,
  human_in_the_loop: 1,
  human_on_the_loop: 2,
  autonomous: 3,
};

/** The cap for a run started by an alert in `environment`: the charter's `alert_runs.mode` there, else read_only. */
export function alertRunMode({
  charter,
  environment,
}: {
  charter: Pick<CharterSpec, 'environments'>;
  environment: string | null;
}): Mode {
  if (environment === null || !Object.hasOwn(charter.environments, environment))
    return DEFAULT_ALERT_RUN_MODE;
  return charter.environments[environment]?.alert_runs?.mode ?? DEFAULT_ALERT_RUN_MODE;
}

/** The mode a decision uses: the charter's, or the run's cap when the cap allows less. Pure. */
export function cappedMode({ mode, cap }: { mode: Mode; cap: Mode | null | undefined }): {
  mode: Mode;
  capped: boolean;
} {
  if (!cap || AUTONOMY[cap] >= AUTONOMY[mode]) return { mode, capped: false };
  return { mode: cap, capped: true };
}

/**
 * A run's mode cap: one mode for every environment (an alert run's), or that (`all`, null for none) with a
 * cap per environment (where the recorded eval evidence supports less than the charter's mode), so each
 * proposal is decided under the cap of its own environment.
 */
export type ModeCap = Mode | { all: Mode | null; environments: Record<string, Mode> };

const perEnvironmentSchema = z.strictObject({
  all: z.enum(MODES).nullable(),
  environments: z.record(z.string(), z.enum(MODES)),
});

/**
 * A stored cap (`runs.mode_cap`): null stays null (no cap), a mode name caps every environment, a JSON
 * object caps per environment; anything else is read_only everywhere (fail closed).
 */
export function modeCapOf(stored: string | null | undefined): ModeCap | null {
  if (stored === null || stored === undefined) return null;
  if ((MODES as readonly string[]).includes(stored)) return stored as Mode;
  try {
    const parsed = perEnvironmentSchema.safeParse(JSON.parse(stored));
    if (parsed.success) return parsed.data;
  } catch {
    // Not JSON: fall through to the strictest reading.
  }
  return 'read_only';
}

/** A cap as `runs.mode_cap` stores it: a mode name when it is one for every environment. */
export function storedModeCap(cap: ModeCap | null): string | null {
  if (cap === null || typeof cap === 'string') return cap;
  const names = Object.keys(cap.environments).sort((a, b) => a.localeCompare(b));
  if (names.length === 0) return cap.all;
  const environments = Object.fromEntries(names.map((n) => [n, cap.environments[n]]));
  return JSON.stringify({ all: cap.all, environments });
}

/** The cap a proposal in `environment` is decided under: the stricter of the run-wide and its own. Pure. */
export function modeCapIn({
  cap,
  environment,
}: {
  cap: ModeCap | null | undefined;
  environment: string;
}): Mode | null {
  if (cap === null || cap === undefined) return null;
  if (typeof cap === 'string') return cap;
  const own = Object.hasOwn(cap.environments, environment) ? (cap.environments[environment] ?? null) : null;
  if (own === null) return cap.all;
  return cap.all === null ? own : cappedMode({ mode: cap.all, cap: own }).mode;
}
