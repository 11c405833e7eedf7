import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asc, inArray } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOfflinePlanner } from '../../../src/agents/offline-planner.ts';
import { auditEvents } from '../../../src/app/schema.ts';
import { readCharterEvidence } from '../../../src/evals/charter-evidence.ts';
import { evalRunCommand } from '../../../src/evals/eval.cli.ts';
import { charterValidateCommand } from '../../../src/policy/charter.cli.ts';
import { createRedactor } from '../../../src/shared/redact.ts';
import { allToolInfos } from '../../../src/tools/tool-catalog.ts';
import { databaseKinds } from '../../helpers/database.ts';
import { charterFromYaml, repoRoot } from '../../helpers/services.ts';
import { people, runAuditEvents, runnerFor, useRunnerServices } from '../agents/agents.helpers.ts';
import { promotedTriageYaml } from './promotion.helpers.ts';

const knownTools = allToolInfos().map((t) => t.name);

describe.each(databaseKinds)('a charter mode above the recorded evidence on %s', (kind) => {
  const yamls = { gated: promotedTriageYaml(), kept: promotedTriageYaml({ override: true }) };
  let current: keyof typeof yamls = 'gated';
  const { services } = useRunnerServices({ kind, charters: () => [charterFromYaml(yamls[current])] });
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'warden-promotion-refusal-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    current = 'gated';
  });

  /** `warden charter validate` on the test's charter, holding it to the evidence in the test database. */
  const validate = async () => {
    writeFileSync(join(dir, 'triage.yaml'), yamls[current]);
    const evidence = await readCharterEvidence({
      db: services.db,
      charters: [charterFromYaml(yamls[current])],
      planner: createOfflinePlanner(),
    });
    const lines: string[] = [];
    const out = { write: (s: string) => void lines.push(s) };
    const code = charterValidateCommand({ dir, knownTools, out, evidence });
    return { code, text: lines.join('') };
  };

  const recordEval = async () => {
    const code = await evalRunCommand({
      dir: join(repoRoot, 'evals'),
      chartersDir: dir,
      agent: 'triage',
      planner: createOfflinePlanner(),
      redactor: createRedactor(),
      recorder: { db: services.db, audit: services.audit, clock: services.clock, actor: people.owner },
      now: () => 0,
      out: { write: () => {} },
    });
    services.clock.advance(60_000);
    return code;
  };

  const refusals = () =>
    services.db
      .select()
      .from(auditEvents)
      .where(inArray(auditEvents.action, ['charter.refused_mode', 'alert.raised']))
      .orderBy(asc(auditEvents.id));

  it('is refused by `warden charter validate` until an eval on these versions records the evidence', async () => {
    const refused = await validate();
    expect(refused.code).toBe(1);
    expect(refused.text).toContain(`✗ ${join(dir, 'triage.yaml')} (triage, v1, hash `);
    expect(refused.text).toContain(
      'triage/production: mode human_on_the_loop is refused: the gate for human_on_the_loop asks ≥ 90% agreement over ≥ 10 judged cases',
    );
    expect(refused.text).toContain(
      'missing a recorded eval on this model and prompt (needs 10 judged cases)',
    );
    expect(refused.text).toContain(
      'charters refused: 1 environment mode is above the recorded eval evidence',
    );

    expect(await recordEval()).toBe(0);
    const accepted = await validate();
    expect(accepted).toMatchObject({ code: 0 });
    expect(accepted.text).toContain('1 charter valid');
  });

  it('is kept by an owner’s override, noted by validate', async () => {
    current = 'kept';
    const kept = await validate();
    expect(kept.code).toBe(0);
    expect(kept.text).toContain('kept without the evidence its gate for human_on_the_loop asks');
    expect(kept.text).toContain("by U0OWNER001's override");
  });

  it('is audited and alerted once at start-up, the agent loaded capped; not again for the same versions', async () => {
    // The services announced it as they started (`buildServices` calls `runner.checkCharters()`).
    const runner = runnerFor(services, createOfflinePlanner());
    const events = await refusals();
    expect(events.map((e) => e.action)).toEqual(['charter.refused_mode', 'alert.raised']);
    expect(events[0]).toMatchObject({
      environment: 'production',
      reasonCode: 'promotion.evidence_missing',
      details: { mode: 'human_on_the_loop', supported: 'human_in_the_loop', gate: 'human_on_the_loop' },
    });
    expect(events[1]?.details).toMatchObject({ rule: 'promotion_refused_mode', owners: expect.any(Array) });
    expect(String(events[1]?.details.message)).toContain('capped at human_in_the_loop until `warden eval`');

    // Another start, then a run: still capped, but the refusal is not news again.
    expect(await runner.checkCharters()).toEqual([]);
    const started = await runner.start({ agent: 'triage', requester: people.oncall, incidentId: 'INC-123' });
    await started.done;
    const actions = (await runAuditEvents(services.db, started.run.id)).map((e) => e.action);
    expect(actions).toContain('run.mode_capped');
    expect((await refusals()).length).toBe(2);
  });

  it('is announced by the first run when nothing checked at start-up; an eval that passes ends it', async () => {
    const runner = runnerFor(services, createOfflinePlanner());
    const first = await runner.start({ agent: 'triage', requester: people.oncall, incidentId: 'INC-123' });
    await first.done;
    expect((await refusals()).map((e) => e.action)).toEqual(['charter.refused_mode', 'alert.raised']);

    writeFileSync(join(dir, 'triage.yaml'), yamls.gated);
    expect(await recordEval()).toBe(0);
    expect(await runner.checkCharters()).toEqual([]);
  });
});

describe.each(databaseKinds)('an owner’s override of the evidence on %s', (kind) => {
  const kept = promotedTriageYaml({ override: true });
  const { services } = useRunnerServices({ kind, charters: () => [charterFromYaml(kept)] });

  it('refuses nothing at start-up', async () => {
    expect(await runnerFor(services, createOfflinePlanner()).checkCharters()).toEqual([]);
    const events = await services.db
      .select()
      .from(auditEvents)
      .where(inArray(auditEvents.action, ['charter.refused_mode', 'alert.raised']));
    expect(events).toEqual([]);
  });
});
