import type { CharterSpec } from '../policy/charter.schemas.ts';
import type { RunRow } from '../runs/runs.repository.ts';

export type BudgetCheck =
  | { exhausted: true; message: string }
  | { exhausted: false; remaining: { toolCalls: number; tokens: number; ms: number } };

/** Whether a run has used up any of its charter budgets, and how much is left otherwise. Pure. */
export function checkBudget({
  charter,
  run,
  now,
}: {
  charter: Pick<CharterSpec, 'budgets'>;
  run: Pick<RunRow, 'toolCalls' | 'tokensUsed' | 'startedAt'>;
  now: Date;
}): BudgetCheck {
  const { budgets } = charter;
  const elapsed = now.getTime() - run.startedAt.getTime();
  if (run.toolCalls >= budgets.tool_calls) {
    return {
      exhausted: true,
      message: `The run used ${run.toolCalls} of the ${budgets.tool_calls} tool calls its charter allows (budgets.tool_calls).`,
    };
  }
  if (run.tokensUsed >= budgets.tokens) {
    return {
      exhausted: true,
      message: `The run used ${run.tokensUsed} of the ${budgets.tokens} tokens its charter allows (budgets.tokens).`,
    };
  }
  if (elapsed >= budgets.wall_time) return { exhausted: true, message: wallTimeMessage(charter) };
  return {
    exhausted: false,
    remaining: {
      toolCalls: budgets.tool_calls - run.toolCalls,
      tokens: budgets.tokens - run.tokensUsed,
      ms: budgets.wall_time - elapsed,
    },
  };
}

/** The sentence for a run stopped by its wall-time budget. */
export function wallTimeMessage(charter: Pick<CharterSpec, 'budgets'>): string {
  return `The run used all ${durationText(charter.budgets.wall_time)} of wall time its charter allows (budgets.wall_time).`;
}

/** A duration as people read it: `5 min`, `90 s`, `250 ms`. */
export function durationText(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} min` : ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}
