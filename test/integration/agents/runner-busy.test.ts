import { describe, expect, it } from 'vitest';
import { runs } from '../../../src/app/schema.ts';
import { isWardenError } from '../../../src/shared/errors.ts';
import { databaseKinds } from '../../helpers/database.ts';
import { waitFor } from '../../helpers/slack-harness.ts';
import { hangingPlanner, people, runnerFor, useRunnerServices } from './agents.helpers.ts';

describe.each(databaseKinds)(
  'an instance at its limit of runs sheds load (%s)',
  { timeout: 60_000 },
  (kind) => {
    const fx = useRunnerServices({ kind });

    it('refuses a run past WARDEN_MAX_RUNS as busy, creating nothing, and takes one again once a run ends', async () => {
      const { planner, waiting } = hangingPlanner();
      const runner = runnerFor(fx.services, planner, { maxRuns: 2 });
      const start = () => runner.start({ agent: 'triage', requester: people.oncall, incidentId: 'INC-123' });
      const first = await start();
      const second = await start();
      await waitFor(() => waiting.signal, { what: 'a run waiting on its model' });
      const before = await fx.services.db.select().from(runs);

      const refused = await start().then(
        () => null,
        (error: unknown) => error,
      );
      expect(isWardenError(refused, 'agents.busy')).toBe(true);
      expect((refused as Error).message).toBe(
        'Warden is busy: 2 runs are already working on this instance. Nothing was started; try again in a minute.',
      );
      expect(await fx.services.db.select().from(runs)).toHaveLength(before.length);

      await fx.services.killSwitch.engage({ agent: 'triage', actor: people.outsider, reason: 'free a slot' });
      await Promise.all([first.done, second.done]);
      await fx.services.killSwitch.release({ agent: 'triage', actor: people.owner });
      const third = await start();
      expect(third.run.state).toBe('running');
      await fx.services.killSwitch.engage({ agent: 'triage', actor: people.outsider, reason: 'done' });
      await third.done;
    });
  },
);
