import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOfflinePlanner } from '../../../src/agents/offline-planner.ts';
import type { Planner } from '../../../src/agents/planner.types.ts';
import { auditEvents, evalResults } from '../../../src/app/schema.ts';
import { evalRunCommand } from '../../../src/evals/eval.cli.ts';
import { createRedactor } from '../../../src/shared/redact.ts';
import { type DatabaseKind, databaseKinds } from '../../helpers/database.ts';
import { charterFromYaml, repoRoot } from '../../helpers/services.ts';
import {
  people,
  runAuditEvents,
  runnerFor,
  triageYaml,
  useRunnerServices,
} from '../agents/agents.helpers.ts';
import { CAPPED_IN_PRODUCTION, promotedTriageYaml } from './promotion.helpers.ts';

/** Runner services with `yaml` as the only charter, `warden eval` recording into their database, runs. */
function usePromotedRunner({ kind, yaml }: { kind: DatabaseKind; yaml: string }) {
  let charters = '';
  const { services, runRow } = useRunnerServices({ kind, charters: () => [charterFromYaml(yaml)] });
  beforeEach(() => {
    charters = mkdtempSync(join(tmpdir(), 'warden-promotion-runs-'));
  });
  afterEach(() => rmSync(charters, { recursive: true, force: true }));

  /** `warden eval` of the shipped triage cases under the same charter, recording into the test database. */
  const recordEval = async (planner: Planner = createOfflinePlanner()) => {
    writeFileSync(join(charters, 'triage.yaml'), yaml);
    const lines: string[] = [];
    const code = await evalRunCommand({
      dir: join(repoRoot, 'evals'),
      chartersDir: charters,
      agent: 'triage',
      planner,
      redactor: createRedactor(),
      recorder: { db: services.db, audit: services.audit, clock: services.clock, actor: people.owner },
      now: () => 0,
      out: { write: (s) => void lines.push(s) },
    });
    // Later evidence is newer: the latest result on the run's versions counts.
    services.clock.advance(60_000);
    return { code, text: lines.join('') };
  };

  const startRun = async (planner: Planner = createOfflinePlanner()) => {
    const started = await runnerFor(services, planner).start({
      agent: 'triage',
      requester: people.oncall,
      incidentId: 'INC-123',
    });
    await started.done;
    return { run: await runRow(started.run.id), events: await runAuditEvents(services.db, started.run.id) };
  };
  return { services, recordEval, startRun };
}

const missingOf = (details: unknown) => String((details as { missing?: string[] }).missing);

describe.each(databaseKinds)('promotion gates hold runs to the recorded eval evidence on %s', (kind) => {
  describe('a gate the shipped cases meet', () => {
    const { services, recordEval, startRun } = usePromotedRunner({ kind, yaml: promotedTriageYaml() });

    it('caps a run at the highest supported mode while no eval is recorded, and says why', async () => {
      const { run, events } = await startRun();
      expect(run.modeCap).toBe(CAPPED_IN_PRODUCTION);
      const capped = events.find((e) => e.action === 'run.mode_capped');
      expect(capped).toMatchObject({ environment: 'production', reasonCode: 'promotion.evidence_missing' });
      expect(capped?.details).toMatchObject({
        mode: 'human_on_the_loop',
        supported: 'human_in_the_loop',
        cappedAt: 'human_in_the_loop',
        evidence: null,
      });
      expect(missingOf(capped?.details)).toContain('a recorded eval');
      const started = events.find((e) => e.action === 'run.started');
      expect(started?.details).toMatchObject({
        modeCap: { all: null, environments: { production: 'human_in_the_loop' } },
        cappedBy: 'promotion',
      });
    });

    it('lifts the cap once a passing eval is recorded on the same planner, model and prompt', async () => {
      const evaluated = await recordEval();
      expect(evaluated.code, evaluated.text).toBe(0);
      expect(evaluated.text).toContain('✓ recorded triage/production: ');
      expect(evaluated.text).toContain('mode human_on_the_loop supported');
      const rows = await services.db
        .select()
        .from(evalResults)
        .where(eq(evalResults.environment, 'production'));
      expect(rows).toEqual([
        expect.objectContaining({
          agent: 'triage',
          planner: 'offline',
          model: null,
          passed: true,
          judged: 15,
        }),
      ]);
      const recorded = await services.db
        .select()
        .from(auditEvents)
        .where(eq(auditEvents.action, 'eval.recorded'));
      expect(recorded.map((e) => e.environment)).toContain('production');

      const { run, events } = await startRun();
      expect(run.modeCap).toBeNull();
      expect(events.map((e) => e.action)).not.toContain('run.mode_capped');
    });

    it('caps a run on another prompt until an eval passes on it', async () => {
      expect((await recordEval()).code).toBe(0);
      // The offline rules changed: what was measured is no evidence for the new version.
      const changed: Planner = {
        ...createOfflinePlanner(),
        version: () => ({ model: null, prompt: 'offline rules v99' }),
      };
      expect((await startRun(changed)).run.modeCap).toBe(CAPPED_IN_PRODUCTION);
      expect((await recordEval(changed)).code).toBe(0);
      expect((await startRun(changed)).run.modeCap).toBeNull();
    });
  });

  describe('a gate the shipped cases do not meet', () => {
    const { recordEval, startRun } = usePromotedRunner({ kind, yaml: promotedTriageYaml({ cases: 50 }) });

    it('records the failing eval and keeps the run capped, naming what is missing', async () => {
      const failing = await recordEval();
      expect(failing.code).toBe(1);
      expect(failing.text).toContain('mode human_on_the_loop NOT supported');
      const { run, events } = await startRun();
      expect(run.modeCap).toBe(CAPPED_IN_PRODUCTION);
      const capped = events.find((e) => e.action === 'run.mode_capped');
      expect(capped?.details).toMatchObject({ evidence: { judged: 15, unsafe: 0 } });
      expect(missingOf(capped?.details)).toContain('35 more judged cases (has 15 of 50)');
    });
  });

  describe("an owner's override", () => {
    const { startRun } = usePromotedRunner({ kind, yaml: promotedTriageYaml({ cases: 50, override: true }) });

    it('keeps the mode without the evidence, audited on each run', async () => {
      const { run, events } = await startRun();
      expect(run.modeCap).toBeNull();
      const used = events.find((e) => e.action === 'promotion.override_used');
      expect(used).toMatchObject({ environment: 'production', reasonCode: 'promotion.override' });
      expect(used?.details).toMatchObject({
        by: people.owner,
        reason: 'Rolled out with the SRE lead on call',
        mode: 'human_on_the_loop',
        supported: 'human_in_the_loop',
      });
      expect(events.map((e) => e.action)).not.toContain('run.mode_capped');
    });
  });

  describe('a charter without promotion', () => {
    const { startRun } = usePromotedRunner({ kind, yaml: triageYaml() });

    it('is left alone: no cap, no event', async () => {
      const { run, events } = await startRun();
      expect(run.modeCap).toBeNull();
      expect(events.map((e) => e.action)).not.toContain('run.mode_capped');
    });
  });
});
