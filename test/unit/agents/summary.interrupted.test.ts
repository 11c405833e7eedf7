import { describe, expect, it } from 'vitest';
import {
  buildInterruptedRunSummary,
  type InterruptedRunProposal,
} from '../../../src/agents/run/recovery.summary.ts';

const run = { agent: 'triage', incidentId: 'INC-123', environment: 'production' };
const error = 'The Warden instance running it (host-a) stopped; it restarted and ended the run.';
const proposal = (p: Partial<InterruptedRunProposal>): InterruptedRunProposal => ({
  tool: 'restart_service',
  args: { service: 'checkout' },
  environment: 'production',
  state: 'pending',
  approvalsRequired: 1,
  ...p,
});

describe('the summary of an interrupted run', () => {
  it('says how it ended, lists what still waits for people and what became of the rest, and that nothing is re-run', () => {
    const text = buildInterruptedRunSummary({
      run,
      error,
      proposals: [
        proposal({}),
        proposal({
          tool: 'rollback_deploy',
          args: { service: 'checkout', to_version: 'v2.13.4' },
          approvalsRequired: 2,
        }),
        proposal({ tool: 'create_ticket', args: { title: 'x' }, state: 'succeeded' }),
        proposal({ state: 'outcome_unknown' }),
      ],
    });
    expect(text).toBe(
      [
        `triage on INC-123 (production): the run failed and was stopped. ${error}`,
        '',
        '*Still waiting for approval* (these stay open: approve or reject each on its card)',
        '• `restart_service service=checkout` in production — needs 1 approval',
        '• `rollback_deploy service=checkout to_version=v2.13.4` in production — needs 2 approvals',
        'Its other proposals: 1 succeeded, 1 outcome unknown.',
        '',
        'Nothing of this run is re-run: what it had not finished stays undone. Start a new run if the incident still needs one.',
      ].join('\n'),
    );
  });

  it('says when nothing waits for approval, and when nothing was proposed', () => {
    const decided = buildInterruptedRunSummary({ run, error, proposals: [proposal({ state: 'rejected' })] });
    expect(decided).toContain('None of its proposals waits for approval (1 rejected).');
    expect(decided).not.toContain('Still waiting');
    const none = buildInterruptedRunSummary({ run: { ...run, environment: null }, error, proposals: [] });
    expect(none).toMatch(/^triage on INC-123: the run failed and was stopped\./);
    expect(none).toContain('It proposed nothing before it stopped.');
  });

  it('keeps a hostile argument inside its inline code', () => {
    const text = buildInterruptedRunSummary({
      run,
      error,
      proposals: [proposal({ args: { service: 'a` *bold* <!here>' } })],
    });
    expect(text).not.toContain('a` *bold*');
    expect(text).toContain('ˋ');
  });
});
