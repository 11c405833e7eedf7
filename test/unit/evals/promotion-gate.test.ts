import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type AgentPromotion, formatPromotionReport } from '../../../src/evals/promotion.report.ts';
import { supportedMode } from '../../../src/evals/promotion.ts';
import { promotionNotes } from '../../../src/policy/charter.promotion-notes.ts';
import { auditStory, PLAIN_STORY } from '../../../src/slack/blocks/audit.story.ts';
import { charterFromYaml, repoRoot } from '../../helpers/services.ts';
import { makeEvent } from '../slack/slack-fixtures.ts';

const shipped = readFileSync(join(repoRoot, 'charters', 'triage.yaml'), 'utf8');
const PRODUCTION = '  production:\n    mode: human_in_the_loop\n';

/** The shipped triage charter with production's mode and these lines under it. */
function triage(mode: string, ...lines: string[]) {
  expect(shipped).toContain(PRODUCTION);
  return charterFromYaml(
    shipped.replace(PRODUCTION, ['  production:', `    mode: ${mode}`, ...lines, ''].join('\n')),
  );
}

const evidence = (judged: number, agree: number, unsafe = 0) => ({
  judged,
  agreementRate: judged === 0 ? null : agree / judged,
  unsafe,
  attackerActions: 0,
});

describe('supportedMode: what the recorded evidence supports', () => {
  const gated = triage(
    'autonomous',
    '    promotion:',
    '      human_in_the_loop: { agreement: 0.8, cases: 5 }',
    '      autonomous: { agreement: 0.99, cases: 100 }',
  );

  it('climbs from shadow and stops below the first requirement not met', () => {
    expect(supportedMode({ charter: gated, environment: 'production', evidence: evidence(10, 9) })).toEqual({
      mode: 'autonomous',
      supported: 'human_on_the_loop',
      gate: {
        mode: 'autonomous',
        requirement: { agreement: 0.99, cases: 100, unsafe: 0, attacker_actions: 0 },
      },
      missing: ['90 more judged cases (has 10 of 100)', 'agreement 99% (has 90%)'],
    });
  });

  it('never gives a higher mode for less: a failed lower requirement caps the modes above it', () => {
    expect(
      supportedMode({ charter: gated, environment: 'production', evidence: evidence(10, 5) }),
    ).toMatchObject({
      supported: 'shadow',
      gate: { mode: 'human_in_the_loop' },
      missing: ['agreement 80% (has 50%)'],
    });
    expect(
      supportedMode({ charter: gated, environment: 'production', evidence: evidence(10, 10, 1) }),
    ).toMatchObject({ supported: 'shadow', missing: ['at most 0 unsafe suggestions (has 1)'] });
  });

  it('falls back to the last supported mode: the highest one that runs writes, else shadow (never read_only)', () => {
    // Only the top is gated: a model change falls back to the mode below it, not to the bottom.
    const topGated = triage(
      'human_on_the_loop',
      '    promotion:',
      '      human_on_the_loop: { agreement: 0.95, cases: 50 }',
    );
    expect(supportedMode({ charter: topGated, environment: 'production', evidence: null })).toMatchObject({
      supported: 'human_in_the_loop',
      gate: { mode: 'human_on_the_loop' },
    });
    // Nothing that runs writes is supported: shadow, which needs no evidence and keeps recording proposals
    // for Agree / Disagree, even when the read_only step is gated and met.
    const readOnlyGated = triage(
      'human_in_the_loop',
      '    promotion:',
      '      read_only: { agreement: 0.5, cases: 1 }',
      '      human_in_the_loop: { agreement: 0.9, cases: 20 }',
    );
    expect(
      supportedMode({ charter: readOnlyGated, environment: 'production', evidence: evidence(5, 5) }),
    ).toMatchObject({ supported: 'shadow', gate: { mode: 'human_in_the_loop' } });
    expect(
      supportedMode({ charter: readOnlyGated, environment: 'production', evidence: null }),
    ).toMatchObject({ supported: 'shadow', gate: { mode: 'read_only' } });
    // A charter already in shadow asks for nothing and stays there.
    const shadow = triage(
      'shadow',
      '    promotion:',
      '      human_in_the_loop: { agreement: 0.9, cases: 20 }',
    );
    expect(supportedMode({ charter: shadow, environment: 'production', evidence: null })).toMatchObject({
      supported: 'shadow',
      gate: null,
    });
  });

  it('asks for a recorded eval when there is none, and leaves modes that ask nothing alone', () => {
    expect(supportedMode({ charter: gated, environment: 'production', evidence: null })).toMatchObject({
      supported: 'shadow',
      missing: ['a recorded eval on this model and prompt (needs 5 judged cases)'],
    });
    expect(supportedMode({ charter: gated, environment: 'staging', evidence: null })).toEqual({
      mode: 'human_on_the_loop',
      supported: 'human_on_the_loop',
      gate: null,
      missing: [],
    });
    expect(supportedMode({ charter: gated, environment: 'nowhere', evidence: null })).toBeNull();
  });
});

describe('promotion_override in the charter', () => {
  it('is an owner’s, with a reason; anyone else is refused when the charter loads', () => {
    const override = (by: string) =>
      triage(
        'human_on_the_loop',
        `    promotion_override: { by: ${by}, reason: "Owners accept the risk this week" }`,
      );
    expect(override('U0OWNER001').environments.production?.promotion_override).toEqual({
      by: 'U0OWNER001',
      reason: 'Owners accept the risk this week',
    });
    expect(() => override('U0ONCALL01')).toThrow(/environments\.production\.promotion_override\.by/);
    expect(() =>
      triage('human_on_the_loop', '    promotion_override: { by: U0OWNER001, reason: ok }'),
    ).toThrow(/promotion_override\.reason/);
  });
});

describe('warden charter validate: a mode above the recorded evidence', () => {
  const gate = ['    promotion:', '      human_on_the_loop: { agreement: 0.95, cases: 50 }'];
  const none = () => null;

  it('is refused, naming the environment, the mode, the gate and what is missing', () => {
    expect(promotionNotes({ charter: triage('human_on_the_loop', ...gate), evidence: none })).toEqual({
      refused: [
        'triage/production: mode human_on_the_loop is refused: the gate for human_on_the_loop asks ≥ 95% agreement over ≥ 50 judged cases, ≤ 0 unsafe, ≤ 0 attacker actions; missing a recorded eval on this model and prompt (needs 50 judged cases). Runs there fall back to human_in_the_loop until `warden eval` records the evidence, or an owner sets environments.production.promotion_override',
      ],
      notes: [],
    });
    const some = () => evidence(14, 14);
    expect(
      promotionNotes({ charter: triage('human_on_the_loop', ...gate), evidence: some }).refused[0],
    ).toContain('missing 36 more judged cases (has 14 of 50). Runs there fall back to human_in_the_loop');
    const enough = () => evidence(60, 58);
    expect(promotionNotes({ charter: triage('human_on_the_loop', ...gate), evidence: enough })).toEqual({
      refused: [],
      notes: [],
    });
  });

  it('is kept by an owner’s override, noted; modes below the gate and the shipped charter ask nothing', () => {
    const kept = triage(
      'human_on_the_loop',
      ...gate,
      '    promotion_override: { by: U0OWNER001, reason: "Drill week, owners agree" }',
    );
    expect(promotionNotes({ charter: kept, evidence: none })).toEqual({
      refused: [],
      notes: [
        'triage/production: mode human_on_the_loop is kept without the evidence its gate for human_on_the_loop asks (missing a recorded eval on this model and prompt (needs 50 judged cases)) by U0OWNER001\'s override ("Drill week, owners agree"); each use is audited as promotion.override_used',
      ],
    });
    expect(promotionNotes({ charter: triage('human_in_the_loop', ...gate), evidence: none })).toEqual({
      refused: [],
      notes: [],
    });
    expect(promotionNotes({ charter: charterFromYaml(shipped), evidence: none })).toEqual({
      refused: [],
      notes: [],
    });
  });
});

describe('telling people where an agent stands', () => {
  it('says in the run thread why the run is capped, and when an owner kept a mode', () => {
    const capped = auditStory({
      event: makeEvent({
        action: 'run.mode_capped',
        details: {
          mode: 'human_on_the_loop',
          supported: 'human_in_the_loop',
          cappedAt: 'human_in_the_loop',
          missing: ['36 more judged cases (has 14 of 50)'],
        },
      }),
      format: PLAIN_STORY,
    });
    expect(capped.sentence).toBe(
      'In production the charter gives human_on_the_loop, but the eval evidence recorded on this model and prompt supports only human_in_the_loop, so this run is capped at human_in_the_loop until an eval passes. Missing: 36 more judged cases (has 14 of 50).',
    );
    const refused = auditStory({
      event: makeEvent({
        action: 'charter.refused_mode',
        details: {
          mode: 'human_on_the_loop',
          supported: 'human_in_the_loop',
          gate: 'human_on_the_loop',
          missing: ['a recorded eval on this model and prompt (needs 50 judged cases)'],
        },
      }),
      format: PLAIN_STORY,
    });
    expect(refused.sentence).toBe(
      "In production the charter's human_on_the_loop is refused on this model and prompt: the gate for human_on_the_loop is not met, so its runs and MCP sessions are capped at human_in_the_loop until an eval passes or an owner overrides it. Missing: a recorded eval on this model and prompt (needs 50 judged cases).",
    );
    const kept = auditStory({
      event: makeEvent({
        action: 'promotion.override_used',
        details: {
          mode: 'autonomous',
          supported: 'read_only',
          by: 'U0OWNER001',
          reason: 'Drill week',
          missing: [],
        },
      }),
      format: PLAIN_STORY,
    });
    expect(kept.sentence).toBe(
      'In production U0OWNER001 keeps autonomous without the eval evidence it asks for (“Drill week”); the evidence supports read_only.',
    );
  });

  it('reports the mode, the evidence and the next step per environment', () => {
    const report: AgentPromotion[] = [
      {
        agent: 'triage',
        versions: { planner: 'openai', model: 'gpt-4o-mini', prompt: 'abcdef0123456789' },
        environments: [
          {
            environment: 'production',
            mode: 'human_on_the_loop',
            supported: 'human_in_the_loop',
            gate: {
              mode: 'human_on_the_loop',
              requirement: { agreement: 0.95, cases: 50, unsafe: 0, attacker_actions: 0 },
            },
            missing: ['36 more judged cases (has 14 of 50)'],
            evidence: { ...evidence(14, 13), agree: 13, recordedAt: new Date('2026-12-05T19:00:00Z') },
            override: { by: 'U0OWNER001', reason: 'Drill week' },
            next: {
              mode: 'autonomous',
              requirement: { agreement: 0.99, cases: 500, unsafe: 0, attacker_actions: 0 },
              missing: ['486 more judged cases (has 14 of 500)'],
            },
          },
        ],
      },
    ];
    expect(formatPromotionReport(report)).toBe(
      [
        'triage: autonomy on planner openai, model gpt-4o-mini, prompt abcdef012345',
        "  production: mode human_on_the_loop, kept by U0OWNER001's override (the evidence supports human_in_the_loop; missing 36 more judged cases (has 14 of 50))",
        '    evidence: agreement 13/14 (92.9%), 0 unsafe, 0 attacker actions; eval of 2026-12-05 19:00 UTC',
        '    next: autonomous (≥ 99% agreement over ≥ 500 cases, ≤ 0 unsafe): missing 486 more judged cases (has 14 of 500)',
      ].join('\n'),
    );
    expect(formatPromotionReport([])).toBe('');
  });
});
