import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHttpServer, healthHandler } from '../../../src/app/http.ts';
import { runs } from '../../../src/app/schema.ts';
import { buildSlackSurface, type SlackSurface } from '../../../src/app/slack-surface.ts';
import {
  createSandboxPeople,
  createSlackEmulator,
  type SlackEmulator,
} from '../../../src/dev/slack-emulator/index.ts';
import { withRequestLogging } from '../../../src/observability/http-logging.ts';
import { createMetrics } from '../../../src/observability/metrics.ts';
import { resolveGroups } from '../../../src/policy/approval-validity.ts';
import { useTestDatabase } from '../../helpers/database.ts';
import { createScriptedOpenAIServer, type ScriptedOpenAIServer } from '../../helpers/openai-server.ts';
import { createTestServices, type TestServices, useTestServices } from '../../helpers/services.ts';
import { buttonsOf, people, waitFor } from '../../helpers/slack-harness.ts';
import { wiredWithLoggingBackend } from './helpers.ts';

// Canary values: if any of them shows up in a log line, a secret leaked.
const SIGNING_SECRET = 'canary-signing-secret-5e1f0c2d';
const BOT_TOKEN = 'xoxb-canary-7311-bottoken-a9c4e2';
const EXTRA_SECRET = 'canary-extra-3b9d8f7a6c5e';
const PASSWORD = 'canary-pw-d41d8cd98f';
const CANARIES = [SIGNING_SECRET, BOT_TOKEN, EXTRA_SECRET, PASSWORD];

/**
 * Warden as main wires it for a workspace: the Bolt app, the sync worker and the alert poster behind one
 * HTTP server whose routes carry request ids. Logs at debug, so Bolt's and the WebClient's debug lines
 * (request bodies, headers and results) are written too.
 */
describe('logs: canary secrets never reach a log line, and lines carry their ids', () => {
  const database = useTestDatabase('pglite');
  let emulator: SlackEmulator;
  let services: TestServices;
  let surface: SlackSurface;
  let close: () => Promise<void>;

  beforeEach(async () => {
    emulator = createSlackEmulator({
      signingSecret: SIGNING_SECRET,
      botToken: BOT_TOKEN,
      ...createSandboxPeople(),
    });
    const { apiUrl } = await emulator.start();
    services = await createTestServices({
      database,
      secrets: [EXTRA_SECRET],
      env: { SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: apiUrl },
    });
    surface = buildSlackSurface({
      services,
      options: {
        signingSecret: SIGNING_SECRET,
        botToken: BOT_TOKEN,
        apiUrl,
        botUserId: emulator.workspace.botUserId,
      },
      pollMs: 50,
    });
    const metrics = createMetrics({ db: services.db, registry: services.metrics.registry });
    const server = createHttpServer({
      routes: withRequestLogging({
        logger: services.logger,
        routes: {
          'POST /slack/events': surface.slack.handleHttp,
          'GET /healthz': healthHandler({ services }),
          'GET /metrics': metrics.handler,
        },
      }),
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    emulator.setWardenUrl(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    surface.sync.start();
    close = async () => {
      await surface.stop();
      await new Promise((resolve) => server.close(resolve));
    };
  });
  afterEach(async () => {
    await close();
    await services.close();
    await emulator.stop();
  });

  it('through a whole triage run, an approval, failed Slack calls and debug-logged request bodies', async () => {
    const channel = people.incidents;
    await emulator.sendCommand({ user: people.oncall, channel, text: 'triage INC-123' });
    const card = await waitFor(
      () =>
        emulator.messages(channel).find((m) => m.text.includes('create_ticket') && buttonsOf(m).length > 0),
      { what: 'the ticket card', timeoutMs: 20_000 },
    );
    // The run's channel message is updated when the run ends; wait for it, so the failure below hits the card.
    await waitFor(
      () =>
        emulator.messages(channel).find((m) => m.threadTs === null && m.text.includes('triage finished on')),
      { what: 'the run message in its end state', timeoutMs: 20_000 },
    );
    // The card update after the approval fails once, with an error text that carries a secret.
    emulator.failNext({ method: 'chat.update', error: `invalid_auth ${EXTRA_SECRET}` });
    await emulator.clickButton({
      user: people.approvers[0],
      channel,
      messageTs: card.ts,
      actionId: 'proposal.approve',
    });
    await waitFor(() => services.logs.lines.some((l) => l.includes('card update failed')), {
      what: 'the failed card update in the logs',
    });
    await waitFor(
      () => {
        services.clock.advance(1_000); // a failed card update is tried again after a back-off
        return emulator.messages(channel).find((m) => m.ts === card.ts && m.edited);
      },
      { what: 'the card updated on retry' },
    );
    // The WebClient logs request bodies and results at debug: a secret in a body must be scrubbed there.
    await surface.client.chat.postMessage({
      channel,
      text: `a body with ${EXTRA_SECRET}, password=${PASSWORD} and Authorization: Bearer ${BOT_TOKEN}`,
    });
    // A person's text that looks like a secret.
    const answered = emulator.responseUrlPosts().length;
    await emulator.sendCommand({ user: people.oncall, channel, text: `why prp_x password=${PASSWORD}` });
    await waitFor(() => emulator.responseUrlPosts().length > answered, { what: 'the answer to why' });
    await services.settleAudit();

    const lines = services.logs.lines;
    expect(lines.length).toBeGreaterThan(50);
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    // These paths really were logged, so the absence below means something.
    expect(lines.some((l) => l.includes('http request body'))).toBe(true);
    expect(lines.some((l) => l.includes('http request headers'))).toBe(true);
    expect(lines.some((l) => l.includes('http request result'))).toBe(true);
    expect(lines.some((l) => l.includes('card update failed') && l.includes('invalid_auth [REDACTED]'))).toBe(
      true,
    );
    expect(lines.some((l) => l.includes('a body with [REDACTED]'))).toBe(true);
    for (const canary of CANARIES) {
      expect(
        lines.filter((l) => l.includes(canary)),
        canary,
      ).toEqual([]);
    }

    // Ids: every request line has one; a run started by a command carries that command's request id.
    const requests = parsed.filter((l) => l.msg === 'http request');
    expect(requests.length).toBeGreaterThan(2);
    expect(requests.every((l) => typeof l.requestId === 'string' && l.path === '/slack/events')).toBe(true);
    const started = parsed.find((l) => l.msg === 'run started');
    const [run] = await services.db.select().from(runs);
    expect(started).toMatchObject({ runId: run!.id, requestId: expect.stringMatching(/^req_/) });
    expect(requests.map((l) => l.requestId)).toContain(started!.requestId);
    // Bolt's own lines written while handling a request carry its id too.
    expect(parsed.some((l) => l.bolt === true && typeof l.requestId === 'string')).toBe(true);
  });
});

describe('logs: every line of a run carries its run id, every line of an approval its proposal id', () => {
  const { services } = useTestServices({ kind: 'pglite' });
  let model: ScriptedOpenAIServer;
  beforeEach(async () => {
    model = await createScriptedOpenAIServer();
  });
  afterEach(async () => {
    await model.close();
  });

  /** The lines `work` writes, parsed; with the alerts its events raise (checked in the background). */
  async function linesOf(work: () => Promise<unknown>) {
    const from = services.logs.lines.length;
    await work();
    await services.settleAudit();
    return services.logs.lines.slice(from).map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  it('planner retries, evidence, executions and the model giving up; then the approval click', async () => {
    const { approvals, runner } = wiredWithLoggingBackend({ services, model });
    const ticket = { title: 'Search pods crash-looping', body: 'After the node drain.', severity: 'sev3' };
    const proposal = (tool: string, args: Record<string, unknown>) => ({
      tool,
      args,
      environment: 'staging',
      rationale: 'Because.',
      expected_effect: 'Better.',
      rollback: 'Undo it.',
    });
    model.reset([
      { status: 500 },
      { toolCalls: [{ name: 'get_incident', arguments: { incident_id: 'INC-124' } }] },
      {
        toolCalls: [
          {
            name: 'submit_proposals',
            arguments: {
              summary: 'Restart search.',
              proposals: [
                proposal('create_ticket', ticket),
                proposal('restart_service', { service: 'search' }),
              ],
            },
          },
        ],
      },
    ]);
    let started = await runner.start({ agent: 'triage', requester: people.oncall, incidentId: 'INC-124' });
    const first = await linesOf(() => started.done);
    const outcome = await started.done;
    const [allowed, pending] = outcome.proposals;
    expect([allowed?.decision, pending?.decision]).toEqual(['allow', 'needs_approval']);
    expect(first.map((l) => l.msg)).toEqual(
      expect.arrayContaining([
        'model call failed; retrying',
        'backend call',
        'model answered',
        'run finished',
      ]),
    );
    for (const line of first) expect(line, String(line.msg)).toMatchObject({ runId: started.run.id });
    // Triage's first write ever raised an alert, checked in the background: its line names the run too.
    expect(first.some((l) => String(l.msg).startsWith('behaviour alert: triage ran create_ticket'))).toBe(
      true,
    );
    // The allowed ticket ran inside the run: its backend line names the run and the proposal.
    expect(first.filter((l) => l.msg === 'backend call' && l.tool === 'create_ticket')).toEqual([
      expect.objectContaining({ runId: started.run.id, proposalId: allowed!.proposalId }),
    ]);

    // A second run whose model never answers: the retries and the give-up carry that run's id.
    model.reset([{ status: 500 }, { status: 500 }, { status: 500 }]);
    started = await runner.start({ agent: 'triage', requester: people.oncall, incidentId: 'INC-124' });
    const second = await linesOf(() => started.done);
    expect(second.map((l) => l.msg)).toEqual(
      expect.arrayContaining(['model call failed; retrying', 'model unavailable']),
    );
    for (const line of second) expect(line, String(line.msg)).toMatchObject({ runId: started.run.id });

    // The approval click, outside any run: every line carries the proposal id.
    const charter = services.charters.get('triage')!;
    const click = await linesOf(async () => {
      const decided = await approvals.decideOnProposal({
        proposalId: pending!.proposalId,
        approver: {
          userId: people.approvers[0],
          groups: resolveGroups({ charter, userId: people.approvers[0] }),
        },
        decision: 'approve',
      });
      expect(decided.outcome).toBe('approved');
    });
    expect(click.map((l) => l.msg)).toContain('backend call');
    for (const line of click) {
      expect(line, String(line.msg)).toMatchObject({ proposalId: pending!.proposalId });
      expect(line.runId).toBeUndefined();
    }
  });
});
