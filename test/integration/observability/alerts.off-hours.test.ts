import { describe, expect, it } from 'vitest';
import { lastRaisedSince } from '../../../src/observability/alerts.repository.ts';
import { databaseKinds } from '../../helpers/database.ts';
import { SATURDAY_NIGHT, useAlertServices } from './alerts.fixture.ts';

describe.each(databaseKinds)('off-hours alerts on %s', (kind) => {
  const ops = useAlertServices(kind);
  const { ticket, minute, raised, rules } = ops;

  it('off hours: three writes on a Saturday night are an alert; the same on a Tuesday morning are not', async () => {
    for (let i = 0; i < 3; i += 1) {
      await ticket(i);
      minute();
    }
    expect(await rules()).toEqual([]);
    ops.services.clock.set(SATURDAY_NIGHT);
    await ticket(10);
    minute();
    await ticket(11);
    expect(await rules()).toEqual([]);
    minute();
    await ticket(12);
    const [alert] = await raised();
    expect(alert).toMatchObject({ reasonCode: 'alert.off_hours' });
    expect(alert!.details.figures).toMatchObject({ off_hours_writes: 3, window: '1h' });
    expect(String(alert!.details.message)).toContain('09:00–18:00 Europe/Paris');
  });

  it('off hours: raised once within its window, and again once the window after it fills up', async () => {
    ops.services.clock.set(SATURDAY_NIGHT);
    for (let i = 0; i < 6; i += 1) {
      await ticket(i);
      minute();
    }
    // Writes 4 to 6 come while the alert raised at the third is cooling down: nothing more is raised.
    expect(await rules()).toEqual(['off_hours']);
    ops.services.clock.advance(60 * 60_000);
    for (let i = 10; i < 12; i += 1) {
      await ticket(i);
      minute();
    }
    expect(await rules()).toEqual(['off_hours']);
    await ticket(12);
    const [, again, ...more] = await raised();
    expect(more).toEqual([]);
    expect(again!.details.figures).toMatchObject({ off_hours_writes: 3, window: '1h' });
  });

  it('says when an alert was last raised, for the evaluator to remember', async () => {
    ops.services.clock.set(SATURDAY_NIGHT);
    for (let i = 0; i < 3; i += 1) {
      await ticket(i);
      minute();
    }
    const [alert] = await raised();
    const key = String(alert!.details.key);
    const last = await lastRaisedSince({ db: ops.services.db, agent: 'ops', key, since: new Date(0) });
    expect(last).toBeInstanceOf(Date);
    expect(last!.getTime()).toBe(alert!.at.getTime());
    const after = new Date(alert!.at.getTime() + 1);
    expect(await lastRaisedSince({ db: ops.services.db, agent: 'ops', key, since: after })).toBeNull();
  });
});
