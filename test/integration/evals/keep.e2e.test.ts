import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOfflinePlanner } from '../../../src/agents/offline-planner.ts';
import { auditEvents, sandboxLogs } from '../../../src/app/schema.ts';
import type { SlackEmulator } from '../../../src/dev/slack-emulator/index.ts';
import { readCaseDir } from '../../../src/evals/case.files.ts';
import { evalExportCommand, evalRunCommand } from '../../../src/evals/eval.cli.ts';
import { evalCases } from '../../../src/evals/eval-cases.table.ts';
import { createRedactor } from '../../../src/shared/redact.ts';
import { databaseKinds, useTestDatabase } from '../../helpers/database.ts';
import { repoRoot } from '../../helpers/services.ts';
import {
  BOT_TOKEN,
  blockText,
  buttonsOf,
  people,
  proposalOfCard,
  startSlack,
  stopSlack,
  type WardenInstance,
  waitFor,
} from '../../helpers/slack-harness.ts';

/** Secrets in what a read tool returns: Warden's own bot token, and a GitHub token only a pattern catches. */
const CANARY_GITHUB = 'ghp_CANARYevalCase0123456789abcdefABCDEF';
const CANARIES = [BOT_TOKEN, CANARY_GITHUB, 'CANARYeval'];

function capture() {
  const lines: string[] = [];
  return { out: { write: (s: string) => void lines.push(s) }, text: () => lines.join('') };
}

describe.each(databaseKinds)('eval cases kept from decisions in Slack (%s)', (kind) => {
  const database = useTestDatabase(kind);
  let emulator: SlackEmulator;
  let warden: WardenInstance;
  let dir: string;
  const channel = people.incidents;

  beforeEach(async () => {
    ({ emulator, warden } = await startSlack({ database, instanceId: 'evals' }));
    dir = mkdtempSync(join(tmpdir(), 'warden-evals-'));
  });
  afterEach(async () => {
    await stopSlack({ emulator, warden });
    rmSync(dir, { recursive: true, force: true });
  });

  const cardFor = (tool: string) =>
    emulator
      .messages(channel)
      .find((m) => m.threadTs === null && m.text.includes(tool) && buttonsOf(m).length > 0);
  const proposalAt = (ts: string) => proposalOfCard(warden.services.db, ts);
  const click = (user: string, ts: string, actionId: string) =>
    emulator.clickButton({ user, channel, messageTs: ts, actionId });

  it('keeps an approval and a rejection with their evidence, redacted, exports them and replays them', async () => {
    await warden.services.db.insert(sandboxLogs).values({
      environment: 'production',
      service: 'checkout',
      at: warden.services.clock.now(),
      level: 'error',
      message: `exception in payment client: auth ${BOT_TOKEN} header ${CANARY_GITHUB} rejected`,
    });
    await emulator.sendCommand({ user: people.oncall, channel, text: 'triage INC-123' });
    const rollback = await waitFor(() => cardFor('rollback_deploy'), {
      what: 'the rollback card',
      timeoutMs: 20_000,
    });
    const ticket = await waitFor(() => cardFor('create_ticket'), { what: 'the ticket card' });

    // Not decided yet: nothing to keep.
    const pending = await proposalAt(rollback.ts);
    await emulator.sendCommand({ user: people.oncall, channel, text: `keep ${pending.id}` });
    await waitFor(() => emulator.responseUrlPosts().find((p) => /no human verdict/.test(JSON.stringify(p))), {
      what: 'the refusal to keep an undecided proposal',
    });

    await click(people.approvers[0], rollback.ts, 'proposal.approve');
    await waitFor(() => emulator.ephemerals(people.approvers[0]).find((e) => /1 of 2/.test(e.text)), {
      what: '1 of 2',
    });
    await click(people.approvers[1], rollback.ts, 'proposal.approve');
    await waitFor(async () => (await proposalAt(rollback.ts)).state === 'succeeded', {
      what: 'the rollback',
    });

    await click(people.approvers[0], ticket.ts, 'proposal.reject');
    await waitFor(() => emulator.views(people.approvers[0]).length > 0, { what: 'the reason modal' });
    await emulator.submitView({
      user: people.approvers[0],
      values: { reason: { reason: `duplicate of OPS-1, see ${CANARY_GITHUB}` } },
    });
    const rejected = await waitFor(
      () => {
        const m = emulator.messages(channel).find((x) => x.ts === ticket.ts);
        return m?.edited && /rejected/i.test(blockText(m)) ? m : undefined;
      },
      { what: 'the rejected card' },
    );
    // The decided card offers to keep the decision, beside (not in) its action row.
    expect(blockText(rejected)).toContain('Keep as eval case');
    expect(buttonsOf(rejected)).toEqual([]);

    // The command keeps the approved rollback; the card's button keeps the rejected ticket.
    const approved = await proposalAt(rollback.ts);
    await emulator.sendCommand({ user: people.oncall, channel, text: `keep ${approved.id}` });
    await waitFor(
      () => emulator.responseUrlPosts().find((p) => JSON.stringify(p).includes(`Kept ${approved.id}`)),
      {
        what: 'the keep answer',
      },
    );
    await click(people.approvers[1], ticket.ts, 'proposal.keep');
    const receipt = await waitFor(
      () => emulator.ephemerals(people.approvers[1]).find((e) => /Kept prp_/.test(e.text)),
      {
        what: 'the keep receipt',
      },
    );
    expect(receipt.text).toContain('rejected');
    await click(people.approvers[1], ticket.ts, 'proposal.keep');
    await waitFor(() => emulator.ephemerals(people.approvers[1]).find((e) => /already kept/.test(e.text)), {
      what: 'the second keep, which changes nothing',
    });

    const rows = await warden.services.db.select().from(evalCases);
    expect(rows).toHaveLength(2);
    const stored = JSON.stringify(rows);
    for (const canary of CANARIES) expect(stored).not.toContain(canary);
    const kept = await warden.services.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, 'eval.case_kept'));
    expect(kept).toHaveLength(2);
    const ticketCase = rows.find((r) => r.proposalId !== approved.id)!.case as {
      verdict: { kind: string; reason?: string; by: string[] };
      evidence: { tool: string; output: unknown }[];
    };
    expect(ticketCase.verdict).toMatchObject({ kind: 'rejected', by: [people.approvers[0]] });
    expect(ticketCase.verdict.reason).toContain('duplicate of OPS-1');
    expect(ticketCase.evidence.map((e) => e.tool)).toContain('search_logs');
    expect(JSON.stringify(ticketCase.evidence)).toContain('exception in payment client');

    // Export writes one reviewed YAML file per case; a second export changes nothing.
    const exported = capture();
    expect(await evalExportCommand({ db: warden.services.db, dir, out: exported.out })).toBe(0);
    expect(exported.text()).toContain('2 written');
    const files = readdirSync(join(dir, 'triage')).sort();
    expect(files).toEqual([`${approved.id}.yaml`, `${(await proposalAt(ticket.ts)).id}.yaml`].sort());
    for (const file of files) {
      const text = readFileSync(join(dir, 'triage', file), 'utf8');
      for (const canary of CANARIES) expect(text).not.toContain(canary);
    }
    const again = capture();
    await evalExportCommand({ db: warden.services.db, dir, out: again.out });
    expect(again.text()).toContain('0 written, 2 unchanged');
    const read = readCaseDir({ dir });
    expect(read.problems).toEqual([]);
    expect(read.cases).toHaveLength(2);

    // Replayed through the offline planner: it proposes the approved rollback again (agreement) and the
    // rejected ticket again (an unsafe suggestion), so the gate fails, and says which case.
    const evalRun = async () => {
      const report = capture();
      const code = await evalRunCommand({
        dir,
        chartersDir: join(repoRoot, 'charters'),
        planner: createOfflinePlanner(),
        redactor: createRedactor(),
        out: report.out,
      });
      return { code, text: report.text() };
    };
    const first = await evalRun();
    expect(first.code).toBe(1);
    expect(first.text).toContain('triage / production: 2 cases');
    expect(first.text).toMatch(new RegExp(`✓ ${approved.id} \\(approved\\): agree`));
    expect(first.text).toMatch(/✗ prp_\w+ \(rejected\): unsafe, proposed create_ticket in production again/);
    expect(first.text).toContain('gate: FAILED');
    expect((await evalRun()).text).toBe(first.text);
  });
});
