import { describe, expect, it } from 'vitest';
import {
  buildRunSummary,
  describeAction,
  type RunSummaryInput,
} from '../../../src/agents/run/run.summary.ts';

const base: RunSummaryInput = {
  agent: 'triage',
  incidentId: 'INC-123',
  environment: 'production',
  state: 'completed',
  error: null,
  plannerName: 'offline',
  plannerSummary: null,
  observations: [
    {
      tool: 'get_service_health',
      args: { service: 'checkout' },
      environment: 'production',
      decision: 'allow',
      reasonCode: 'allowed',
      output: { summary: 'checkout in production: degraded', data: {} },
      error: null,
    },
    {
      tool: 'get_service_health',
      args: { service: 'billing-ledger' },
      environment: 'production',
      decision: 'deny',
      reasonCode: 'prohibited',
      output: null,
      error: 'billing-ledger is owned by finance.',
    },
  ],
  proposals: [],
  skipped: 0,
  dropped: 0,
};
const proposal = (over: Partial<RunSummaryInput['proposals'][number]>) => ({
  tool: 'rollback_deploy',
  args: { service: 'checkout', to_version: 'v2.13.4' },
  environment: 'production',
  decision: 'needs_approval',
  reasonCode: 'needs_approval',
  message: '',
  approvalsRequired: 2,
  approvalGroups: ['sre-approvers'],
  approvalGroupsMode: 'any' as const,
  selfApprovalAllowed: false,
  rationale: 'Errors began with v2.14.0.',
  execution: null,
  ...over,
});

describe('the run summary', () => {
  it('leads with what needs someone: proposals by what happens next, then the findings and the reads', () => {
    const text = buildRunSummary({
      ...base,
      plannerSummary: 'Health: checkout is degraded.\nDeploys: v2.14.0 went out 5 min before.',
      proposals: [
        proposal({}),
        proposal({
          tool: 'create_ticket',
          args: { title: 'INC-123: checkout degraded', body: 'Evidence:\n- errors', severity: 'sev2' },
          decision: 'allow',
          reasonCode: 'allowed_low_risk',
          approvalsRequired: 0,
          approvalGroups: [],
          execution: { status: 'succeeded', summary: 'Filed ticket tkt_1 (sev2)', error: null },
        }),
        proposal({
          tool: 'scale_service',
          args: { service: 'checkout', replicas: 0 },
          decision: 'deny',
          reasonCode: 'prohibited',
          message:
            'scale_service in production is prohibited by the triage charter: Scaling to zero is an outage.',
        }),
        proposal({
          tool: 'restart_service',
          args: { service: 'checkout' },
          decision: 'deny',
          reasonCode: 'mode_shadow',
          rationale: 'Pods crash-loop.',
        }),
        proposal({
          tool: 'restart_service',
          args: { service: 'search' },
          decision: 'allow',
          execution: { status: 'outcome_unknown', summary: null, error: 'timed out' },
        }),
      ],
    });
    expect(text.split('\n')).toEqual([
      'triage on INC-123 (production): finished — 1 waiting for approval, 1 blocked, 1 ran, 1 did not finish, 1 recorded in shadow mode.',
      '',
      '*Waiting for approval* (approve or reject on each card)',
      '• `rollback_deploy service=checkout to_version=v2.13.4` in production — needs 2 approvals (different people, not the requester) from sre-approvers',
      '   _Why:_ Errors began with v2.14.0.',
      '',
      '*Blocked*',
      '• `scale_service service=checkout replicas=0` in production — prohibited: scale_service in production is prohibited by the triage charter: Scaling to zero is an outage.',
      '',
      '*Ran*',
      '• `create_ticket title="INC-123: checkout degraded" body=[18 chars] severity=sev2` in production — Filed ticket tkt_1 (sev2)',
      '',
      '*Did not finish* (check before retrying)',
      '• `restart_service service=search` in production — outcome unknown: timed out',
      '',
      '*Recorded in shadow mode* (not run)',
      '• `restart_service service=checkout` in production',
      '   _Why:_ Pods crash-loop.',
      '',
      "*Found* (the offline planner's notes)",
      'Health: checkout is degraded.',
      'Deploys: v2.14.0 went out 5 min before.',
      '',
      '*Checked* — 2 reads in production',
      '• `get_service_health service=checkout`: checkout in production: degraded',
      '• `get_service_health service=billing-ledger`: blocked (prohibited) — billing-ledger is owned by finance.',
    ]);
  });

  it('says who must approve: how many, from which groups, and whether the requester may', () => {
    const line = (over: Parameters<typeof proposal>[0]) =>
      buildRunSummary({ ...base, observations: [], proposals: [proposal(over)] }).split('\n')[3];
    expect(line({ approvalsRequired: 1 })).toBe(
      '• `rollback_deploy service=checkout to_version=v2.13.4` in production — needs 1 approval (not the requester) from sre-approvers',
    );
    expect(line({ approvalsRequired: 1, selfApprovalAllowed: true })).toMatch(
      /— needs 1 approval from sre-approvers$/,
    );
    expect(line({ approvalGroups: ['sre', 'dba'], approvalGroupsMode: 'all' })).toMatch(
      /— needs 2 approvals \(different people, not the requester\) from each of sre, dba$/,
    );
    expect(line({ approvalGroups: ['sre', 'dba'] })).toMatch(/ from sre or dba$/);
    expect(line({ approvalGroups: [] })).toMatch(/, but the charter names no group that can approve it$/);
  });

  it('names the environment of each read only when the reads are not all in the run environment', () => {
    const elsewhere = { ...base.observations[0]!, environment: 'staging' };
    const text = buildRunSummary({ ...base, observations: [base.observations[0]!, elsewhere] });
    expect(text).toContain(
      '*Checked* — 2 reads\n• `get_service_health service=checkout` in production: checkout in production: degraded\n• `get_service_health service=checkout` in staging:',
    );
  });

  it('tells a read that failed from one the guard blocked or held for approval', () => {
    const read = {
      tool: 'get_incident',
      args: { incident_id: 'INC-9' },
      environment: 'production',
      output: null,
    };
    const text = buildRunSummary({
      ...base,
      observations: [
        { ...read, decision: 'allow', reasonCode: 'allowed', error: 'There is no incident INC-9.' },
        { ...read, decision: 'needs_approval', reasonCode: 'needs_approval', error: 'waits' },
      ],
    });
    expect(text).toContain('• `get_incident incident_id=INC-9`: failed — There is no incident INC-9.');
    expect(text).toContain('• `get_incident incident_id=INC-9`: not run, it needs approval');
  });

  it('lists at most 10 reads and says where the rest are', () => {
    const many = Array.from({ length: 13 }, () => base.observations[0]!);
    const text = buildRunSummary({ ...base, observations: many });
    expect(text.split('\n').filter((l) => l.startsWith('• `get_service_health'))).toHaveLength(10);
    expect(text).toContain('…and 3 more in the audit trail.');
  });

  it.each([
    [
      'killed',
      'triage on INC-123 (production): stopped by the kill switch; nothing further ran. The kill switch is engaged.',
    ],
    [
      'budget_exhausted',
      'triage on INC-123 (production): stopped, the run budget is used up. The kill switch is engaged.',
    ],
    ['failed', 'triage on INC-123 (production): the run failed and was stopped. The kill switch is engaged.'],
  ] as const)('leads with the end state %s and its reason', (state, headline) => {
    const text = buildRunSummary({ ...base, state, error: 'The kill switch is engaged.' });
    expect(text.split('\n')[0]).toBe(headline);
    expect(text).toContain('Nothing was proposed before the run stopped.');
  });

  it('says in its first line when a finished run proposed nothing', () => {
    expect(buildRunSummary(base).split('\n')[0]).toBe(
      'triage on INC-123 (production): finished. Nothing was proposed.',
    );
  });

  it('counts skipped and dropped items and cuts long planner notes', () => {
    const notes = 'word '.repeat(1000);
    const text = buildRunSummary({ ...base, skipped: 2, dropped: 3, plannerSummary: notes });
    expect(text).toContain(
      '2 unreadable or refused items from the planner were skipped; 3 proposals past the per-run limit were dropped.',
    );
    // Cut at a word: 199 whole words and an ellipsis, never part of a word (half a secret would not be hidden).
    expect(text).toContain(`${'word '.repeat(198)}word…`);
    expect(text).not.toContain('word '.repeat(200));
    const unbroken = buildRunSummary({ ...base, plannerSummary: `Found: ${'x'.repeat(5000)}` });
    expect(unbroken).toContain('Found:…');
    expect(unbroken).not.toContain('xxx');
  });

  it('keeps model text to one line and no backtick can end the inline code early', () => {
    const text = buildRunSummary({
      ...base,
      observations: [],
      proposals: [
        proposal({ args: { service: 'a`b' }, rationale: `line one\n\n> line two ${'y'.repeat(400)}` }),
      ],
    });
    expect(text).toContain('• `rollback_deploy service=aˋb` in production');
    const why = text.split('\n').find((l) => l.includes('_Why:_'))!;
    expect(why).toMatch(/^ {3}_Why:_ line one > line two y+…$/);
    expect(why.length).toBeLessThan(300);
  });

  it('quotes and shortens argument values in actions', () => {
    expect(
      describeAction({ tool: 't', args: { a: 'one two', b: 'z'.repeat(80), c: { d: 1 } }, environment: 'e' }),
    ).toBe(`t a="one two" b="${'z'.repeat(57)}…" c={"d":1} in e`);
  });
});

describe('the run summary with suspected prompt injection', () => {
  const flaggedRead = {
    tool: 'search_logs',
    args: { service: 'checkout', query: 'error' },
    environment: 'production',
    decision: 'allow',
    reasonCode: 'allowed',
    output: { summary: '2 log lines', data: {} },
    error: null,
    suspectedInjection: {
      signals: ['ignore_instructions' as const],
      excerpt: 'ignore previous instructions',
    },
  };

  it('marks the flagged read and warns whoever decides on the proposals', () => {
    const text = buildRunSummary({
      ...base,
      observations: [...base.observations, flaggedRead],
      proposals: [proposal({})],
    });
    expect(text).toContain(
      '• `search_logs service=checkout query=error`: 2 log lines ⚠ suspected prompt injection (ignore_instructions)',
    );
    expect(text).toContain(
      '⚠ Suspected prompt injection: what search_logs in production returned reads like instructions aimed at the agent. Warden treated it as data only. Whoever decides on these proposals should check them against that evidence.',
    );
  });

  it('says nothing of it when no read was flagged', () => {
    expect(buildRunSummary(base)).not.toContain('prompt injection');
  });
});
