import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, proposals, runs } from '../../../src/app/schema.ts';
import { lockRows, saveRow } from '../../../src/breakers/breaker.rows.ts';
import { AGENT_KEY, tripRow } from '../../../src/breakers/breaker.state.ts';
import type { SlackEmulator } from '../../../src/dev/slack-emulator/index.ts';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../../helpers/database.ts';
import {
  blockText,
  people,
  startEmulator,
  startWarden,
  stopWarden,
  type WardenInstance,
  waitFor,
} from '../../helpers/slack-harness.ts';

const channel = people.incidents;
const TRACE = /Error:|\s+at\s+\S+\.(ts|js)\b/;

/**
 * Each `/agent` answer on its own, through signed slash commands and the emulator's response_url: after
 * a triage left two proposals waiting, the evidence agent's denials breaker tripped and its kill switch
 * engaged.
 */
describe.each(databaseKinds)('Slack: /agent answers on %s', (kind) => {
  let database: TestDatabase;
  let emulator: SlackEmulator;
  let warden: WardenInstance;
  let run: typeof runs.$inferSelect;
  let rollback: typeof proposals.$inferSelect;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    const started = await startEmulator();
    emulator = started.emulator;
    warden = await startWarden({ database, emulator, apiUrl: started.apiUrl, instanceId: `answers-${kind}` });
    emulator.setWardenUrl(warden.url);
    await emulator.sendCommand({ user: people.oncall, channel, text: 'triage INC-123' });
    run = await waitFor(
      async () => {
        const [row] = await warden.services.db.select().from(runs);
        return row && row.state !== 'running' ? row : undefined;
      },
      { what: 'the finished run', timeoutMs: 30_000 },
    );
    [rollback] = (await warden.services.db
      .select()
      .from(proposals)
      .where(and(eq(proposals.runId, run.id), eq(proposals.tool, 'rollback_deploy')))) as [
      typeof proposals.$inferSelect,
    ];
    // The evidence agent's denials breaker is open: runs on three incidents were stopped for denials.
    await warden.services.db.transaction(async (tx) => {
      const now = warden.services.clock.now();
      const [row] = await lockRows({
        tx,
        agent: 'evidence',
        ids: [{ breaker: 'denials', key: AGENT_KEY }],
        now,
      });
      const reason = 'runs stopped for denied requests on 3 incidents within 1h';
      await saveRow({ tx, row: tripRow({ row: row!, coolDownMs: 600_000, reason, now }) });
    });
    await emulator.sendCommand({ user: people.outsider, channel, text: 'kill evidence status drill' });
    await waitFor(() => emulator.messages(channel).find((m) => blockText(m).includes('status drill')), {
      what: 'the kill announcement',
    });
  });
  afterAll(async () => {
    await stopWarden(warden);
    await emulator.stop();
    await database.drop();
  });

  /** Sends `/agent <text>` and returns the answer posted to that command's own response_url. */
  async function ask(user: string, text: string) {
    const sent = await emulator.sendCommand({ user, channel, text });
    expect(sent.status).toBe(200);
    const responseUrl = new URLSearchParams(sent.request.body).get('response_url')!;
    const id = responseUrl.split('/').pop();
    const post = await waitFor(() => emulator.responseUrlPosts().find((p) => p.id === id), {
      what: `the answer to /agent ${text}`,
    });
    expect(post.status).toBe(200);
    const body = post.body as { response_type?: string; text: string; blocks?: unknown[] };
    // Only the person who asked sees it.
    expect(body.response_type).toBe('ephemeral');
    expect(emulator.ephemerals(user).some((e) => e.source === 'response_url' && e.text === body.text)).toBe(
      true,
    );
    const all = blockText({ text: body.text, blocks: body.blocks ?? [] });
    expect(all).not.toMatch(TRACE);
    return all;
  }

  it('help lists every command', async () => {
    const answer = await ask(people.oncall, 'help');
    for (const usage of [
      '/agent triage <incident-id>',
      '/agent kill [agent] [reason…]',
      '/agent resume [agent]',
      '/agent reset <agent> [breaker]',
      '/agent status',
      '/agent audit <run-id|incident-id>',
      '/agent why <proposal-id>',
      '/agent charter [agent]',
      '/agent report [agent]',
      '/agent help',
    ]) {
      // Slack's escaping of < > & in mrkdwn.
      expect(answer).toContain(usage.replace('<', '&lt;').replace('>', '&gt;'));
    }
  });

  it('status shows the engaged kill switch, the open breaker and the proposals waiting for approval', async () => {
    const answer = await ask(people.oncall, 'status');
    expect(answer).toContain('Kill switch engaged (1)');
    expect(answer).toContain(`agent \`evidence\` by <@${people.outsider}>`);
    expect(answer).toContain('status drill');
    // One of the 4 breakers the charters define; `denials` counts the agent as a whole, so no key is named.
    expect(answer).toContain('Circuit breakers not closed (1)* of 4');
    expect(answer).toMatch(/`evidence` · `denials` open until/);
    const waiting = await warden.services.db.select().from(proposals).where(eq(proposals.state, 'pending'));
    expect(waiting.map((p) => p.tool).sort()).toEqual(['create_ticket', 'rollback_deploy']);
    expect(answer).toContain(`Waiting for approval (${waiting.length})`);
    for (const p of waiting) expect(answer).toContain(`\`${p.id}\` \`${p.tool}\` in \`production\``);
  });

  it('charter shows the purpose, owners, tools per environment, approvals and breakers', async () => {
    const answer = await ask(people.oncall, 'charter triage');
    const charter = warden.services.charters.get('triage')!;
    expect(answer).toContain(charter.purpose);
    expect(answer).toContain(
      'Owners: business <@U0OWNER001>, technical <@U0OWNER001>, security <@U0SECREV01>',
    );
    expect(answer).toMatch(/In staging \(human on the loop/);
    expect(answer).toMatch(/In production \(human in the loop/);
    expect(answer).toContain('rollback_deploy: needs 2 approvals (different people) from sre-approvers');
    expect(answer).toContain('restart_service: needs 1 approval from sre-approvers');
    for (const breaker of charter.breakers) expect(answer).toContain(`${breaker.name}:`);
    expect(answer).toContain('Approval requests expire after 30 min');
  });

  it('why names the charter rule that decided and the reason code', async () => {
    const answer = await ask(people.oncall, `why ${rollback.id}`);
    expect(answer).toContain('`tools.rollback_deploy.environments.production`');
    expect(answer).toContain('allowed only with approval (`needs_approval`)');
    expect(answer).toContain('Why: rollback_deploy in production');
  });

  it('audit shows the trail of the run, by run id and by incident id', async () => {
    const events = await warden.services.db.select().from(auditEvents).where(eq(auditEvents.runId, run.id));
    const [kill] = await warden.services.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, 'kill.engaged'));
    for (const subject of [run.id, 'INC-123']) {
      const answer = await ask(people.oncall, `audit ${subject}`);
      expect(answer).toContain(`Audit trail: ${subject}`);
      for (const event of events) expect(answer).toContain(`\`#${event.seq}\``);
      for (const action of ['run.started', 'proposal.decided', 'run.finished'])
        expect(answer).toContain(action);
      // Another agent's kill is not part of this run or incident.
      expect(answer).not.toContain(`\`#${kill!.seq}\``);
    }
  });

  it('report counts what the agent proposed and how it was decided', async () => {
    const answer = await ask(people.oncall, 'report triage');
    expect(answer).toContain('Agent report for');
    expect(answer).toMatch(/triage\\n {2}Proposals: 2 \(0 allowed, 2 sent for approval, 0 blocked\)/);
    expect(answer).toMatch(/Evidence reads: \d+/);
  });

  it('answers unknown and malformed input with a short private usage message', async () => {
    for (const [text, problem] of [
      ['frobnicate', 'Unknown command "frobnicate".'],
      ['triag INC-123', 'Unknown command "triag". Did you mean `/agent triage`?'],
      ['triage', 'Triage needs one incident id'],
      ['triage not-an-incident', 'Triage needs one incident id'],
      ['why 42', 'Why needs a proposal id'],
      ['audit', 'Audit needs a run id or an incident id'],
      ['status now', 'Status takes no arguments'],
      ['charter nobody', 'There is no agent called "nobody"'],
      ['reset', 'Reset needs an agent'],
      ['reset nobody', 'Reset needs an agent'],
    ] as const) {
      const answer = await ask(people.oncall, text);
      expect(answer).toContain(problem);
      expect(answer).toContain('/agent help');
    }
    // The usage shown is the one command meant, not the list of all of them.
    const typo = await ask(people.oncall, 'triag INC-123');
    expect(typo).toContain('Usage: `/agent triage &lt;incident-id&gt;`');
    expect(typo).not.toContain('/agent status');
    // None of it reached the channel.
    expect(emulator.messages(channel).filter((m) => m.text.includes('Try /agent help'))).toEqual([]);
  });

  it('refuses a triage by someone on no charter, privately, and starts nothing', async () => {
    const topLevel = () => emulator.messages(channel).filter((m) => m.threadTs === null);
    const before = topLevel().length;
    const answer = await ask(people.outsider, 'triage INC-124');
    expect(answer).toContain('The triage charter lets only members of oncall start this agent.');
    await new Promise((r) => setTimeout(r, 300));
    expect(await warden.services.db.select().from(runs).where(eq(runs.incidentId, 'INC-124'))).toEqual([]);
    expect(topLevel()).toHaveLength(before);
  });

  it('resets a breaker for an owner only: refused and audited for anyone else, announced in the channel', async () => {
    const refused = await ask(people.oncall, 'reset evidence denials');
    expect(refused).toContain(
      'Only an owner of evidence (business, technical or security) may reset its breakers.',
    );
    const attempts = await warden.services.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, 'breaker.reset_refused'));
    expect(attempts).toMatchObject([
      { actor: people.oncall, agent: 'evidence', reasonCode: 'breakers.not_owner' },
    ]);
    expect(await ask(people.owner, 'reset evidence nosuch')).toContain(
      'evidence has no breaker called "nosuch" (its breakers: denials).',
    );
    expect(await ask(people.oncall, 'status')).toContain('Circuit breakers not closed (1)');

    // The answer is the announcement in the channel the command came from, posted from the audit event.
    await emulator.sendCommand({ user: people.owner, channel, text: 'reset evidence denials' });
    const announced = await waitFor(
      () => emulator.messages(channel).find((m) => blockText(m).includes('reset the breakers of `evidence`')),
      { what: 'the reset announcement' },
    );
    expect(blockText(announced)).toContain(
      `<@${people.owner}> reset the breakers of \`evidence\`: \`denials\` was open`,
    );
    const [reset] = await warden.services.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, 'breaker.reset'));
    expect(reset).toMatchObject({
      actor: people.owner,
      agent: 'evidence',
      details: { breaker: 'denials', reset: [{ breaker: 'denials', key: '*', previousState: 'open' }] },
    });
    const status = await ask(people.oncall, 'status');
    expect(status).not.toContain('Circuit breakers not closed');
  });
});
