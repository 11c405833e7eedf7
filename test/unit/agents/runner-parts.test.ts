import { describe, expect, it } from 'vitest';
import { parseGatherCall, parsePlannerStep, parseProposal } from '../../../src/agents/planner-output.ts';
import { duration, formatAgentReport } from '../../../src/agents/report.format.ts';
import { median } from '../../../src/agents/report.ts';
import { checkBudget } from '../../../src/agents/run/run.limits.ts';

describe('planner output parsing', () => {
  it('accepts the two step kinds and refuses anything else', () => {
    expect(parsePlannerStep({ kind: 'gather', calls: [{}], tokens: 3 }).step).toMatchObject({
      kind: 'gather',
    });
    expect(parsePlannerStep({ kind: 'final', summary: 's', proposals: [], tokens: 0 }).step).toMatchObject({
      kind: 'final',
    });
    for (const bad of [
      null,
      'final',
      { kind: 'final' },
      { kind: 'run', tokens: 0 },
      { kind: 'gather', calls: [], tokens: 1.5 },
    ]) {
      expect(parsePlannerStep(bad).step).toBeNull();
    }
    expect(parsePlannerStep({ kind: 'gather', calls: 'all', tokens: 0 }).error).toMatch(/^calls: /);
  });

  it('keeps the model the provider named, trimmed and clipped, and drops one that is not text', () => {
    const final = { kind: 'final', summary: 's', proposals: [], tokens: 0 };
    expect(parsePlannerStep({ ...final, model: ' gpt-4o-2024-08-06 ' }).step?.model).toBe(
      'gpt-4o-2024-08-06',
    );
    expect(parsePlannerStep({ ...final, model: 'm'.repeat(300) }).step?.model).toHaveLength(100);
    expect(parsePlannerStep({ ...final, model: 42 }).step?.model).toBeUndefined();
  });

  it('reads a proposal, cuts long text, and names what is wrong with a bad one', () => {
    const good = {
      tool: 'create_ticket',
      args: { title: 'Checkout errors' },
      environment: 'production',
      rationale: 'ready '.repeat(1000),
      expectedEffect: 'e',
      rollback: 'close it',
      extra: 'ignored',
    };
    const parsed = parseProposal(good).proposal!;
    // Cut to 2,000 characters at a word, never through one.
    expect(parsed.rationale.length).toBeLessThanOrEqual(2000);
    expect(parsed.rationale.length).toBeGreaterThan(1990);
    expect(parsed.rationale).toMatch(/ ready…$/);
    expect(parsed).not.toHaveProperty('extra');
    expect(parseProposal({ ...good, args: ['a'] }).error).toMatch(/^args: /);
    expect(parseProposal({ ...good, tool: '' }).error).toMatch(/^tool: /);
    expect(parseGatherCall({ tool: 'get_incident', args: {}, environment: 42 }).error).toMatch(
      /^environment: /,
    );
  });
});

describe('run budgets', () => {
  const charter = { budgets: { tool_calls: 3, tokens: 100, wall_time: 60_000 } };
  const startedAt = new Date('2026-11-24T09:00:00Z');
  const at = (ms: number) => new Date(startedAt.getTime() + ms);

  it('reports what is left, and which budget is used up first', () => {
    expect(
      checkBudget({ charter, run: { toolCalls: 1, tokensUsed: 40, startedAt }, now: at(15_000) }),
    ).toEqual({
      exhausted: false,
      remaining: { toolCalls: 2, tokens: 60, ms: 45_000 },
    });
    expect(
      checkBudget({ charter, run: { toolCalls: 3, tokensUsed: 0, startedAt }, now: at(0) }),
    ).toMatchObject({
      exhausted: true,
      message: expect.stringContaining('3 of the 3 tool calls'),
    });
    expect(
      checkBudget({ charter, run: { toolCalls: 0, tokensUsed: 100, startedAt }, now: at(0) }),
    ).toMatchObject({
      exhausted: true,
      message: expect.stringContaining('100 of the 100 tokens'),
    });
    expect(
      checkBudget({ charter, run: { toolCalls: 0, tokensUsed: 0, startedAt }, now: at(60_000) }),
    ).toEqual({
      exhausted: true,
      message: 'The run used all 1 min of wall time its charter allows (budgets.wall_time).',
    });
  });
});

describe('report figures', () => {
  it('takes the median of odd and even counts', () => {
    expect(median([])).toBeNull();
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('writes durations people read', () => {
    expect(duration(42_000)).toBe('42 s');
    expect(duration(250_000)).toBe('4 min 10 s');
    expect(duration(240_000)).toBe('4 min');
    expect(duration(2 * 3_600_000 + 5 * 60_000)).toBe('2 h 5 min');
  });

  it('formats an empty report', () => {
    const text = formatAgentReport({
      since: new Date('2026-11-17T09:00:00Z'),
      now: new Date('2026-11-24T09:00:00Z'),
      agents: [],
    });
    expect(text).toBe(
      'Agent report for 2026-11-17 09:00 UTC to 2026-11-24 09:00 UTC\n\nNo agent proposed anything in this period.',
    );
  });
});
