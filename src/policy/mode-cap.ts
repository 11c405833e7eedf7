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

/** A stored cap as a mode: null stays null (no cap); anything unknown is read_only (fail closed). */
export function modeCapOf(stored: string | null | undefined): Mode | null {
  if (stored === null || stored === undefined) return null;
  return (MODES as readonly string[]).includes(stored) ? (stored as Mode) : 'read_only';
}
