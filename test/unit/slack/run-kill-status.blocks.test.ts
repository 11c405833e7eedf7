import { describe, expect, it } from 'vitest';
import type { KillReport } from '../../../src/breakers/kill-switch.ts';
import type { RunRow } from '../../../src/runs/runs.repository.ts';
import { killChangeAnnouncement, killMessage, resumeMessage } from '../../../src/slack/blocks/kill.blocks.ts';
import { runStartedMessage, runSummaryMessage } from '../../../src/slack/blocks/run.blocks.ts';
import { statusMessage } from '../../../src/slack/blocks/status.blocks.ts';
import { allText, buttonsOf, expectNoInjectedMarkup, expectValidMessage } from './block-schema.ts';
import { BIG_EVIDENCE, HOSTILE, makeProposal, NOW, REQUESTER } from './slack-fixtures.ts';

function makeRun(overrides: Partial<RunRow> = {}): RunRow {
  return {
    id: 'run_4h2j8k',
    agent: 'triage',
    charterHash: 'c'.repeat(64),
    requester: REQUESTER,
    incidentId: 'INC-4211',
    environment: 'production',
    state: 'running',
    toolCalls: 4,
    tokensUsed: 12_345,
    deniedCount: 1,
    slackChannel: 'C0INCIDENT',
    slackThreadTs: '1700000000.000100',
    summary: null,
    error: null,
    startedAt: new Date('2026-03-02T09:54:00.000Z'),
    endedAt: null,
    runBy: 'warden-1',
    modeCap: null,
    slackHeaderOwned: true,
    slackHeaderKey: null,
    slackHeaderAttempts: 0,
    slackHeaderRetryAt: null,
    ...overrides,
  };
}

describe('run messages', () => {
  it('opens the thread with who started what, on which incident', () => {
    const message = runStartedMessage({
      run: makeRun(),
      incident: {
        id: 'INC-4211',
        title: `Checkout latency ${HOSTILE}`,
        service: 'checkout',
        severity: 'sev2',
      },
    });
    expectValidMessage(message);
    expectNoInjectedMarkup(message, [REQUESTER]);
    const text = allText(message);
    expect(text).toContain(`*\`triage\` is working on \`INC-4211\`* for <@${REQUESTER}>`);
    expect(text).toContain('> Checkout latency');
    expect(text).toContain('`run_4h2j8k`');
    expect(message.text).toBe('triage is working on INC-4211 (run run_4h2j8k)');
  });

  it('summarises a finished run, labelling what in its summary is unverified', () => {
    const message = runSummaryMessage({
      run: makeRun({ state: 'completed', endedAt: new Date('2026-03-02T09:56:05.000Z') }),
      summary: `Rolled back. ${BIG_EVIDENCE.logs}`,
      proposals: Array.from({ length: 40 }, (_, i) => ({
        id: `prp_${i}`,
        tool: 'create_ticket',
        environment: 'production',
        state: 'succeeded',
      })),
    });
    expectValidMessage(message);
    expectNoInjectedMarkup(message);
    const text = allText(message);
    expect(text).toContain(':checkered_flag: *Finished*');
    expect(text).toContain(
      "*Run summary* _(built from Warden's records; the planner's findings and reasons in it are unverified)_\n> Rolled back.",
    );
    expect(text).toContain('truncated: ');
    expect(text).toContain('*Took*\n2 min 5 s');
    expect(text).toContain('…and 25 more');
    expect(text).toContain('12,345');
  });
});

describe('kill and resume messages', () => {
  const report: KillReport = {
    scope: 'global',
    alreadyEngaged: false,
    cancelledProposals: Array.from({ length: 30 }, (_, i) => `prp_${i}`),
    abortedExecutions: ['prp_exec1', 'prp_exec2'],
    abortedHere: ['prp_exec1'],
    revokedCredentials: 3,
    systemsRevoked: true,
    stoppedRuns: ['run_1'],
    reason: null,
  };

  it('says who killed, why, exactly what stopped, and that only owners resume', () => {
    const message = killMessage({ report, actor: 'U0KILLER1', reason: `Runaway agent ${HOSTILE}` });
    expectValidMessage(message);
    expectNoInjectedMarkup(message, ['U0KILLER1']);
    const text = allText(message);
    expect(text).toContain('Kill switch engaged: all agents');
    expect(text).toContain('<@U0KILLER1> engaged the kill switch for *all agents*');
    expect(text).toContain('> Runaway agent');
    expect(text).toContain('*Proposals cancelled*\n30');
    expect(text).toContain('*Calls in flight aborted*\n2 (1 on this instance)');
    expect(text).toContain('*Credentials revoked*\n3');
    expect(text).toContain('*Runs stopped*\n1');
    expect(text).toContain('`prp_19` and 10 more');
    expect(text).toContain('`prp_exec2`');
    expect(text).toContain('Only an owner of every agent can resume: `/agent resume`');
    expect(buttonsOf(message)).toEqual([]);
    expect(text).not.toContain('could not be reached');
  });

  it('warns when a cluster could not revoke the tokens of calls in flight', () => {
    const text = allText(killMessage({ report: { ...report, systemsRevoked: false }, actor: 'U0KILLER1' }));
    expect(text).toContain('A cluster could not be reached to revoke the tokens of the calls in flight');
  });

  it('names the agent and its resume command for an agent kill, and says when nothing was running', () => {
    const message = killMessage({
      report: {
        ...report,
        scope: 'agent:triage',
        cancelledProposals: [],
        abortedExecutions: [],
        abortedHere: [],
        stoppedRuns: [],
        revokedCredentials: 0,
        alreadyEngaged: true,
      },
      actor: 'U0KILLER1',
      reason: null,
    });
    expectValidMessage(message);
    const text = allText(message);
    expect(text).toContain('Kill switch engaged: agent triage');
    expect(text).toContain('already engaged');
    expect(text).toContain('Nothing was running or waiting for approval');
    expect(text).toContain('_No reason given._');
    expect(text).toContain('`/agent resume triage`');
  });

  it('announces a kill from its audit event alone, as the person would have seen it (less this instance)', () => {
    const event = {
      action: 'kill.engaged',
      actor: 'U0KILLER1',
      details: {
        scope: report.scope,
        reason: 'Runaway agent',
        cancelledProposals: report.cancelledProposals,
        inFlight: report.abortedExecutions,
        stoppedRuns: report.stoppedRuns,
        revokedCredentials: report.revokedCredentials,
        alreadyEngaged: false,
        announce: { channel: 'C0INCIDENT', id: 'ann_1' },
      },
    };
    const announced = killChangeAnnouncement({ event });
    expectValidMessage(announced);
    const { abortedHere: _, ...withoutHere } = report;
    const direct = killMessage({ report: withoutHere, actor: 'U0KILLER1', reason: 'Runaway agent' });
    expect(announced).toEqual(direct);
    expect(allText(announced)).toContain('*Calls in flight aborted*\n2');
    expect(allText(announced)).not.toContain('on this instance');
  });

  it('announces a resume from its event, and still says something true when the details are damaged', () => {
    const resumed = killChangeAnnouncement({
      event: {
        action: 'kill.released',
        actor: 'U0OWNER01',
        details: { scope: 'agent:triage', wasEngaged: true },
      },
    });
    expect(allText(resumed)).toContain('<@U0OWNER01> resumed *agent triage*');
    const damaged = killChangeAnnouncement({
      event: {
        action: 'kill.engaged',
        actor: 'U0KILLER1',
        details: { scope: 7, inFlight: 'x', reason: HOSTILE },
      },
    });
    expectValidMessage(damaged);
    expectNoInjectedMarkup(damaged, ['U0KILLER1']);
    expect(allText(damaged)).toContain('Kill switch engaged: all agents');
  });

  it('says who resumed, or that nothing changed', () => {
    const resumed = resumeMessage({ scope: 'agent:triage', wasEngaged: true, actor: 'U0OWNER01' });
    expectValidMessage(resumed);
    expect(allText(resumed)).toContain('<@U0OWNER01> resumed *agent triage*');
    const noop = resumeMessage({ scope: 'global', wasEngaged: false, actor: 'U0OWNER01' });
    expect(allText(noop)).toContain('was not engaged; nothing changed');
  });
});

describe('statusMessage', () => {
  it('lists engaged switches, open breakers, runs and pending approvals within limits', () => {
    const message = statusMessage({
      killSwitches: [
        {
          scope: 'global',
          engaged: true,
          engagedBy: 'U0KILLER1',
          reason: HOSTILE.repeat(10),
          engagedAt: NOW,
        },
        { scope: 'agent:triage', engaged: false, engagedBy: null, reason: null, engagedAt: null },
      ],
      breakers: [
        {
          agent: 'triage',
          breaker: 'prod_tickets',
          keysNotClosed: ['create_ticket@production'],
          state: 'open',
          coolDownUntil: new Date('2026-03-02T10:10:00.000Z'),
          lastReason: `6 tickets in 10 min ${HOSTILE}`,
        },
        {
          agent: 'triage',
          breaker: 'failures',
          keysNotClosed: ['*'],
          state: 'half_open',
          coolDownUntil: null,
          lastReason: null,
        },
        {
          agent: 'triage',
          breaker: 'denied',
          keysNotClosed: [],
          state: 'closed',
          coolDownUntil: null,
          lastReason: null,
        },
      ],
      openRuns: Array.from({ length: 25 }, (_, i) => ({ ...makeRun({ id: `run_${i}` }) })),
      pendingProposals: [
        makeProposal(),
        makeProposal({ id: 'prp_late', expiresAt: new Date('2026-03-02T09:00:00.000Z') }),
      ],
      now: NOW,
    });
    expectValidMessage(message);
    expectNoInjectedMarkup(message, ['U0KILLER1', REQUESTER]);
    const text = allText(message);
    expect(text).toContain(':octagonal_sign: *Kill switch engaged (1)*');
    expect(text).toContain('• *all agents* by <@U0KILLER1>');
    expect(text).toContain(':rotating_light: *Circuit breakers not closed (2)* of 3');
    expect(text).toContain('`prod_tickets` for `create_ticket@production` open until <!date^');
    expect(text).toContain('half-open: one trial action may run');
    expect(text).not.toContain('`denied`');
    expect(text).toContain('*Running (25)*');
    expect(text).toContain('…and 15 more');
    expect(text).toContain('*Waiting for approval (2)*');
    expect(text).toContain('`prp_late` `rollback_deploy` in `production` (`triage`), window closed');
  });

  it('says plainly when all is quiet', () => {
    const message = statusMessage({
      killSwitches: [],
      breakers: [],
      openRuns: [],
      pendingProposals: [],
      now: NOW,
    });
    expectValidMessage(message);
    const text = allText(message);
    expect(text).toContain('*Kill switch:* not engaged.');
    expect(text).toContain('*Circuit breakers:* none in the charters.');
    expect(text).toContain('none running');
    expect(text).toContain('nothing waiting');
  });
});
