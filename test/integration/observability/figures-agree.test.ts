import { describe, expect, it } from 'vitest';
import { buildAgentReport } from '../../../src/agents/report.ts';
import { readControls } from '../../../src/dev/console/console.panel.ts';
import { countRunToolCalls } from '../../../src/observability/figures.decisions.repository.ts';
import { toolCallsRan } from '../../../src/observability/figures.definitions.ts';
import { readAgentFigures, readHomeFigures } from '../../../src/observability/figures.ts';
import { getRun } from '../../../src/runs/runs.repository.ts';
import { homeView } from '../../../src/slack/blocks/home.blocks.ts';
import { runSummaryMessage } from '../../../src/slack/blocks/run.blocks.ts';
import { answerReport, answerStatus } from '../../../src/slack/listeners/command-answers.ts';
import type { SlackDeps } from '../../../src/slack/slack.types.ts';
import { databaseKinds } from '../../helpers/database.ts';
import { type TestServices, useTestServices } from '../../helpers/services.ts';
import { playScenario, scenarioCharters, scenarioScript, T0 } from './figures-agree.scenario.ts';
import { parseSamples, type Sample, scriptedPlanner, serveObservability } from './helpers.ts';

const DAY = 86_400_000;

/** Every surface's reading of one database state: status, report, App Home, console panel, /metrics. */
async function readEverySurface(services: TestServices) {
  const now = services.clock.now();
  const charters = services.charters.list();
  // The status and report answers read only these of the Slack deps (the runner for the agents' versions).
  const deps = {
    db: services.db,
    clock: services.clock,
    charters: services.charters,
    runner: services.runner,
  } as unknown as SlackDeps;
  const http = await serveObservability(services);
  const samples = parseSamples(await http.scrape());
  await http.close();
  const home = await readHomeFigures({ db: services.db, agents: ['triage'], charters, now });
  return {
    status: JSON.stringify((await answerStatus({ deps })).blocks),
    reportAnswer: await answerReport({ deps, agent: 'triage' }),
    report: (
      await buildAgentReport({ db: services.db, agent: 'triage', since: new Date(now.getTime() - DAY), now })
    ).agents[0]!,
    figures: (await readAgentFigures({ db: services.db, agents: ['triage'], now }))[0]!,
    home,
    homeText: JSON.stringify(homeView(home).blocks),
    panel: await readControls({ db: services.db, charters, now }),
    samples,
  };
}

const sum = (samples: Sample[], name: string, match: (labels: Record<string, string>) => boolean) =>
  samples.filter((s) => s.name === name && match(s.labels)).reduce((n, s) => n + s.value, 0);

/**
 * One definition per figure: a triage run (5 reads, a ticket and a rollback held for approval), the
 * rollback approved by two people (after 60 s and 180 s), the ticket rejected after 120 s, and an ops
 * rate breaker with two tracked keys. Before, status said "all closed (4 tracked)" while the panel listed
 * 6; status's median time to decide was 150 s and the report's 90 s; "2 approved" counted clicks; the run
 * counted 7 tool calls where 6 ran.
 */
describe.each(databaseKinds)('figures agree across surfaces on %s', (kind) => {
  const { services } = useTestServices({
    kind,
    options: () => ({ charters: scenarioCharters(), planner: scriptedPlanner(scenarioScript) }),
  });

  it('counts breakers, approvals, time to decide and tool calls the same everywhere', async () => {
    const played = await playScenario(services);
    expect(played).toMatchObject({ outcome: 'completed', settled: 'approved' });
    const s = await readEverySurface(services);

    // Breakers: the 5 in the charters (triage 3, evidence 1, ops 1), the ops one with two tracked keys.
    const configured = services.charters.list().flatMap((c) => c.breakers.map((b) => `${c.agent}/${b.name}`));
    expect(configured).toHaveLength(5);
    expect(s.panel.breakers.map((b) => `${b.agent}/${b.breaker}`).sort()).toEqual(configured.sort());
    expect(s.home.breakers.map((b) => `${b.agent}/${b.breaker}`).sort()).toEqual(configured.sort());
    expect(s.status).toContain('*Circuit breakers:* all 5 closed.');
    expect(s.homeText).toContain('*Circuit breakers:* all 5 closed.');
    const gauge = s.samples.filter((x) => x.name === 'warden_breakers_open');
    expect(gauge.map((x) => `${x.labels.agent}/${x.labels.breaker}`).sort()).toEqual(configured.sort());
    expect(gauge.every((x) => x.value === 0)).toBe(true);

    // Approvals: one proposal approved (by two clicks), one rejected.
    const approvals = { approved: 1, rejected: 1, clicks: { approve: 2, reject: 1 } };
    expect(s.figures.approvals).toMatchObject(approvals);
    expect(s.report.approvals).toEqual(approvals);
    expect(s.report.approvalsByTool).toEqual([
      { tool: 'create_ticket', approved: 0, rejected: 1 },
      { tool: 'rollback_deploy', approved: 1, rejected: 0 },
    ]);
    const decided = (outcome: string) =>
      sum(s.samples, 'warden_proposals_decided_total', (l) => l.agent === 'triage' && l.outcome === outcome);
    expect([decided('approved'), decided('rejected')]).toEqual([1, 1]);
    for (const text of [s.status, s.homeText]) {
      expect(text).toContain('1 approved · 1 rejected · 0 expired\\n_2 Approve and 1 Reject clicks_');
    }
    expect(s.reportAnswer.text).toContain('Proposals decided by people: 1 approved, 1 rejected');

    // Time to decide: first decisions after 60 s (rollback) and 120 s (ticket): median 90 s over 2.
    const timeToDecide = { medianSeconds: 90, proposals: 2 };
    expect(s.figures.timeToDecide).toEqual(timeToDecide);
    expect(s.report.timeToDecide).toEqual(timeToDecide);
    const wait = (suffix: string) =>
      sum(s.samples, `warden_approval_wait_seconds_${suffix}`, (l) => l.agent === 'triage');
    expect([wait('count'), wait('sum')]).toEqual([2, 180]);
    for (const text of [s.status, s.homeText, s.reportAnswer.text]) {
      expect(text).toContain('median 1 min 30 s over 2 proposals');
    }

    // Tool calls: 5 reads and the rollback ran; the run's budget counted 7 requests.
    const run = (await getRun({ db: services.db, id: played.runId }))!;
    const calls = (await countRunToolCalls({ db: services.db, runIds: [run.id] })).get(run.id)!;
    expect(toolCallsRan(calls)).toBe(6);
    expect(run.toolCalls).toBe(7);
    expect(toolCallsRan(s.figures.toolCalls)).toBe(6);
    const ran = sum(
      s.samples,
      'warden_tool_calls_total',
      (l) => l.agent === 'triage' && ['succeeded', 'failed', 'outcome_unknown'].includes(l.result ?? ''),
    );
    expect(ran).toBe(6);
    const summary = JSON.stringify(runSummaryMessage({ run, summary: run.summary, calls }).blocks);
    expect(summary).toContain('*Tool calls*\\n6 ran');
    expect(summary).toContain('*Requests to the guard*\\n7');
    for (const text of [s.status, s.homeText]) expect(text).toContain('*Tool calls*\\n6 ran');

    // The report's period is in each reader's time zone in Slack; the plain text keeps UTC.
    expect(JSON.stringify(s.reportAnswer.blocks)).toContain(
      `<!date^${Math.floor(T0.getTime() / 1000) + 3600}^`,
    );
    expect(s.reportAnswer.text).toMatch(/^Agent report for \d{4}-\d\d-\d\d \d\d:\d\d UTC to /);
  });
});
