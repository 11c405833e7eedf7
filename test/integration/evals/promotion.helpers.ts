import { triageYaml } from '../agents/agents.helpers.ts';

/** A run's stored cap when the evidence caps production (only) at human_in_the_loop. */
export const CAPPED_IN_PRODUCTION = '{"all":null,"environments":{"production":"human_in_the_loop"}}';

/** An owner of the shipped triage charter. */
export const OWNER = 'U0OWNER001';

const SHIPPED_PRODUCTION = '  production:\n    mode: human_in_the_loop\n';

/**
 * The shipped triage charter with production promoted to human_on_the_loop behind a promotion gate the
 * shipped eval cases meet with the offline rules (15 judged cases, agreement above 90 %), or not (50);
 * with `autonomous`, the next mode asks for 50 cases at 99 %.
 */
export function promotedTriageYaml({ cases = 10, override = false, autonomous = false } = {}): string {
  const text = triageYaml();
  if (!text.includes(SHIPPED_PRODUCTION)) throw new Error('triage.yaml has no production mode line');
  return text.replace(
    SHIPPED_PRODUCTION,
    [
      '  production:',
      '    mode: human_on_the_loop',
      '    promotion:',
      `      human_on_the_loop: { agreement: 0.9, cases: ${cases} }`,
      ...(autonomous ? ['      autonomous: { agreement: 0.99, cases: 50 }'] : []),
      ...(override
        ? [`    promotion_override: { by: ${OWNER}, reason: "Rolled out with the SRE lead on call" }`]
        : []),
      '',
    ].join('\n'),
  );
}
