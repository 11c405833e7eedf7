import { describe, expect, it } from 'vitest';
import { planExecutionOutcome } from '../../../src/breakers/breaker.evaluate.ts';
import { type BreakerRow, newRow } from '../../../src/breakers/breaker.state.ts';
import { parseCharterText } from '../../../src/policy/charter.loader.ts';
import { opsCharterYaml } from '../../integration/guard/fixtures.ts';

const charter = parseCharterText({ text: opsCharterYaml, file: 'ops.yaml' });
const now = new Date('2026-11-24T09:00:00Z');
const counter = (consecutiveFailures: number): BreakerRow => ({
  ...newRow({ agent: 'ops', breaker: 'failures', key: '*', now }),
  consecutiveFailures,
});
const trial: BreakerRow = {
  ...newRow({ agent: 'ops', breaker: 'prod-tickets', key: 'create_ticket@production', now }),
  state: 'half_open',
  trialInFlight: true,
  tripCount: 1,
};
const plan = (input: { rows: BreakerRow[]; ok: boolean; refused?: boolean }) =>
  planExecutionOutcome({
    charter,
    hitByThis: new Set(['prod-tickets\u0000create_ticket@production']),
    tool: 'create_ticket',
    environment: 'production',
    now,
    ...input,
  });

describe('what an executed action changes in the breakers', () => {
  it('counts a tool failure, and trips at the threshold', () => {
    const third = plan({ rows: [counter(2)], ok: false });
    expect(third.saves).toMatchObject([{ state: 'open', consecutiveFailures: 3 }]);
    expect(third.tripped).toMatchObject([{ breaker: 'failures' }]);
  });

  it('moves no counter when Warden stopped the call, and frees the trial it held for another action', () => {
    const stopped = plan({ rows: [counter(2), trial], ok: false, refused: true });
    expect(stopped.tripped).toEqual([]);
    expect(stopped.closed).toEqual([]);
    expect(stopped.saves).toEqual([{ ...trial, trialInFlight: false, updatedAt: now }]);
  });

  it('closes a half-open breaker whose trial succeeded, and forgets its hits', () => {
    const closed = plan({ rows: [trial], ok: true });
    expect(closed.saves).toMatchObject([{ state: 'closed', trialInFlight: false }]);
    expect(closed.clearHits).toEqual([{ breaker: 'prod-tickets', key: 'create_ticket@production' }]);
    expect(closed.closed).toEqual(['prod-tickets']);
  });
});
