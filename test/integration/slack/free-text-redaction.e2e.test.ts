import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvals, auditEvents, killSwitches, proposals, runs } from '../../../src/app/schema.ts';
import type { SlackEmulator } from '../../../src/dev/slack-emulator/index.ts';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../../helpers/database.ts';
import {
  blockText,
  buttonsOf,
  people,
  startEmulator,
  startWarden,
  stopWarden,
  type WardenInstance,
  waitFor,
} from '../../helpers/slack-harness.ts';

const channel = people.incidents;
/** Secrets a person might paste: both are caught by the redactor (a key=value and a Slack token). */
const SECRETS = 'DB_PASSWORD=hunter2-canary-71f3 xoxb-canary-4e9a2c7d1b';
const CANARY = /canary/;
const REDACTED_SECRETS = 'DB_PASSWORD=[REDACTED] [REDACTED]';

/**
 * Free text people type (a kill reason, a reject reason, command arguments) is redacted before it is
 * stored, so neither the rows, the audit trail, Slack nor `/agent` answers ever carry a secret in it.
 */
describe.each(databaseKinds)('Slack: secrets people type are redacted on %s', (kind) => {
  let database: TestDatabase;
  let emulator: SlackEmulator;
  let warden: WardenInstance;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    const started = await startEmulator();
    emulator = started.emulator;
    warden = await startWarden({ database, emulator, apiUrl: started.apiUrl, instanceId: `redact-${kind}` });
    emulator.setWardenUrl(warden.url);
  });
  afterAll(async () => {
    await stopWarden(warden);
    await emulator.stop();
    await database.drop();
  });

  /** Sends `/agent <text>` and returns the answer posted to that command's own response_url. */
  async function ask(user: string, text: string): Promise<string> {
    const sent = await emulator.sendCommand({ user, channel, text });
    expect(sent.status).toBe(200);
    const id = new URLSearchParams(sent.request.body).get('response_url')!.split('/').pop();
    const post = await waitFor(() => emulator.responseUrlPosts().find((p) => p.id === id), {
      what: `the answer to /agent ${text}`,
    });
    const body = post.body as { text: string; blocks?: unknown[] };
    return blockText({ text: body.text, blocks: body.blocks ?? [] });
  }

  /** Everything Warden stored, told Slack, answered or logged: none of it may carry the secrets. */
  async function expectNoCanaryAnywhere() {
    const db = warden.services.db;
    const stored = {
      audit: await db.select().from(auditEvents),
      kill: await db.select().from(killSwitches),
      proposals: await db.select().from(proposals),
      approvals: await db.select().from(approvals),
    };
    expect(JSON.stringify(stored)).not.toMatch(CANARY);
    expect(JSON.stringify(emulator.calls())).not.toMatch(CANARY);
    expect(JSON.stringify(emulator.responseUrlPosts())).not.toMatch(CANARY);
    expect(warden.services.logs.text()).not.toMatch(CANARY);
  }

  it('redacts a reject reason in the rows, the audit trail, the card, the thread and /agent why', async () => {
    await emulator.sendCommand({ user: people.oncall, channel, text: 'triage INC-123' });
    const card = await waitFor(
      () =>
        emulator
          .messages(channel)
          .find((m) => m.threadTs === null && m.text.includes('rollback_deploy') && buttonsOf(m).length > 0),
      { what: 'the rollback approval card', timeoutMs: 20_000 },
    );
    await emulator.clickButton({
      user: people.approvers[0],
      channel,
      messageTs: card.ts,
      actionId: 'proposal.reject',
    });
    await waitFor(() => emulator.views(people.approvers[0]).length > 0, { what: 'the reason modal' });
    const submitted = await emulator.submitView({
      user: people.approvers[0],
      values: { reason: { reason: `roll forward instead; ${SECRETS}` } },
    });
    expect(submitted.status).toBe(200);
    const updated = await waitFor(
      () => {
        const m = emulator.messages(channel).find((message) => message.ts === card.ts);
        return m?.edited && /rejected/i.test(blockText(m)) ? m : undefined;
      },
      { what: 'the rejected card' },
    );
    expect(blockText(updated)).toContain(`roll forward instead; ${REDACTED_SECRETS}`);

    const [proposal] = await warden.services.db
      .select()
      .from(proposals)
      .where(eq(proposals.slackTs, card.ts));
    expect(proposal).toMatchObject({
      state: 'rejected',
      stateReason: `roll forward instead; ${REDACTED_SECRETS}`,
    });
    const [approval] = await warden.services.db
      .select()
      .from(approvals)
      .where(eq(approvals.proposalId, proposal!.id));
    expect(approval).toMatchObject({
      decision: 'reject',
      reason: `roll forward instead; ${REDACTED_SECRETS}`,
    });
    const [rejected] = await warden.services.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.proposalId, proposal!.id), eq(auditEvents.action, 'approval.rejected')));
    expect(rejected?.details).toMatchObject({ reason: `roll forward instead; ${REDACTED_SECRETS}` });

    const [run] = await warden.services.db.select().from(runs);
    await waitFor(
      () =>
        emulator
          .thread(channel, run!.slackThreadTs!)
          .find((r) =>
            r.text.includes(`rejected <@${people.oncall}>’s rollback of checkout to v2.13.4 in production`),
          ),
      { what: 'the requester told of the rejection' },
    );
    const why = await ask(people.oncall, `why ${proposal!.id}`);
    expect(why).toContain('roll forward instead; DB_PASSWORD=[REDACTED]');
    await expectNoCanaryAnywhere();
  });

  it('redacts a kill reason in the row, the audit trail, the announcement, the reply and /agent status', async () => {
    const sent = await emulator.sendCommand({
      user: people.oncall,
      channel,
      text: `kill evidence leaked ${SECRETS} in a ticket`,
    });
    expect(sent.status).toBe(200);
    const announcement = await waitFor(
      () => emulator.messages(channel).find((m) => m.threadTs === null && blockText(m).includes('leaked')),
      { what: 'the kill announcement' },
    );
    expect(blockText(announcement)).toContain(`leaked ${REDACTED_SECRETS} in a ticket`);

    const [row] = await warden.services.db
      .select()
      .from(killSwitches)
      .where(eq(killSwitches.scope, 'agent:evidence'));
    expect(row).toMatchObject({ engaged: true, reason: `leaked ${REDACTED_SECRETS} in a ticket` });
    const [engaged] = await warden.services.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, 'kill.engaged'));
    expect(engaged?.details).toMatchObject({ reason: `leaked ${REDACTED_SECRETS} in a ticket` });

    const status = await ask(people.oncall, 'status');
    expect(status).toContain('leaked DB_PASSWORD=[REDACTED] [REDACTED] in a ticket');
    await expectNoCanaryAnywhere();
  });

  it('never echoes a secret typed as a command argument', async () => {
    for (const [text, problem] of [
      ['resume xoxb-canary-4e9a2c7d1b', 'There is no agent called "[REDACTED]"'],
      ['charter DB_PASSWORD=hunter2-canary-71f3', 'There is no agent called "DB_PASSWORD=[REDACTED]"'],
      ['xoxb-canary-4e9a2c7d1b', 'Unknown command "[REDACTED]"'],
      ['triage xoxb-canary-4e9a2c7d1b', 'Triage needs one incident id'],
    ] as const) {
      const answer = await ask(people.oncall, text);
      expect(answer).toContain(problem);
      expect(answer).not.toMatch(CANARY);
    }
    await expectNoCanaryAnywhere();
  });
});
