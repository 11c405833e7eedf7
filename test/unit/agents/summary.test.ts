import { describe, expect, it } from 'vitest';
import { buildRunSummary, describeAction, type RunSummaryInput } from '../../../src/agents/summary.ts';

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
  execution: null,
  ...over,
});

describe('the run summary', () => {
  it('says how the run ended, what was checked and what the guard decided for each proposal', () => {
    const text = buildRunSummary({
      ...base,
      plannerSummary: 'Checked things.',
      proposals: [
        proposal({}),
        proposal({
          tool: 'create_ticket',
          args: { title: 'INC-123: checkout degraded', severity: 'sev2' },
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
          message: 'Scaling to zero is an outage.',
        }),
        proposal({
          tool: 'restart_service',
          args: { service: 'checkout' },
          decision: 'deny',
          reasonCode: 'mode_shadow',
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
      'triage on INC-123 (production): finished with 5 proposed actions.',
      '',
      'Checked:',
      '• get_service_health service=checkout in production: checkout in production: degraded',
      '• get_service_health service=billing-ledger in production: not run (prohibited) — billing-ledger is owned by finance.',
      '',
      'Proposed:',
      '• rollback_deploy service=checkout to_version=v2.13.4 in production — waiting for 2 approvals from sre-approvers',
      '• create_ticket title="INC-123: checkout degraded" severity=sev2 in production — ran: Filed ticket tkt_1 (sev2)',
      '• scale_service service=checkout replicas=0 in production — blocked (prohibited): Scaling to zero is an outage.',
      '• restart_service service=checkout in production — recorded in shadow mode, not run',
      '• restart_service service=search in production — allowed but outcome unknown: timed out',
      '',
      'Notes from the offline planner:',
      'Checked things.',
    ]);
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
    expect(text).toContain('No action was proposed.');
  });

  it('counts skipped and dropped items and cuts long planner notes', () => {
    const text = buildRunSummary({ ...base, skipped: 2, dropped: 3, plannerSummary: 'x'.repeat(5000) });
    expect(text).toContain(
      '2 unreadable or refused item(s) from the planner were skipped; 3 proposal(s) past the per-run limit were dropped.',
    );
    expect(text).toContain(`${'x'.repeat(1499)}…`);
    expect(text).not.toContain('x'.repeat(1500));
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
      '• search_logs service=checkout query=error in production: 2 log lines ⚠ suspected prompt injection (ignore_instructions)',
    );
    expect(text).toContain(
      '⚠ Suspected prompt injection: what search_logs in production returned reads like instructions aimed at the agent. Warden treated it as data only. Whoever decides on these proposals should check them against that evidence.',
    );
  });

  it('says nothing of it when no read was flagged', () => {
    expect(buildRunSummary(base)).not.toContain('prompt injection');
  });
});
