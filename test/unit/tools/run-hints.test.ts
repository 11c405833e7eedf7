import { describe, expect, it } from 'vitest';
import type { RunRow } from '../../../src/runs/runs.repository.ts';
import { createRunHints } from '../../../src/tools/run-hints.ts';

const rowOf = (id: string, toolCalls = 0) => ({ id, toolCalls }) as RunRow;

describe('run hints', () => {
  it('keeps the row last noted for each run, and forgets one when told', () => {
    const hints = createRunHints();
    hints.note(rowOf('run_a', 1));
    hints.note(rowOf('run_a', 2));
    hints.note(null);
    expect(hints.get('run_a')?.toolCalls).toBe(2);
    hints.forget('run_a');
    expect(hints.get('run_a')).toBeNull();
  });

  it('forgets the run seen longest ago past its bound; noting a run again makes it the newest', () => {
    const hints = createRunHints({ max: 2 });
    hints.note(rowOf('run_a'));
    hints.note(rowOf('run_b'));
    hints.note(rowOf('run_a', 1));
    hints.note(rowOf('run_c'));
    expect(hints.get('run_b')).toBeNull();
    expect(hints.get('run_a')?.toolCalls).toBe(1);
    expect(hints.get('run_c')).not.toBeNull();
  });
});
