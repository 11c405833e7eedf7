import type { ProposalRow } from '../../proposals/proposals.repository.ts';
import type { RunRow } from '../../runs/runs.repository.ts';
import { inlineAction } from './run.summary.ts';
import type { RunOutcome } from './run.types.ts';

/** The fields of a run's proposal this summary reads. */
export type InterruptedRunProposal = Pick<
  ProposalRow,
  'tool' | 'args' | 'environment' | 'state' | 'approvalsRequired'
>;

/**
 * The summary of a run whose instance stopped before the run ended (recovery ended it as failed): how it
 * ended and why, which of its proposals still wait for people (they stay open), what became of the
 * others, and that nothing of it is re-run. Pure; built from Warden's records only.
 */
export function buildInterruptedRunSummary({
  run,
  error,
  proposals,
}: {
  run: Pick<RunRow, 'agent' | 'incidentId' | 'environment'>;
  error: string;
  proposals: readonly InterruptedRunProposal[];
}): string {
  const where = run.environment ? ` (${run.environment})` : '';
  const lines = [
    `${run.agent} on ${run.incidentId ?? 'no incident'}${where}: the run failed and was stopped. ${error}`,
  ];
  const pending = proposals.filter((p) => p.state === 'pending');
  if (pending.length > 0) {
    lines.push(
      '',
      '*Still waiting for approval* (these stay open: approve or reject each on its card)',
      ...pending.map((p) => `• ${inlineAction(p)} in ${p.environment} — ${approvalsText(p)}`),
    );
  }
  const others = countByState(proposals.filter((p) => p.state !== 'pending'));
  if (proposals.length === 0) lines.push('', 'It proposed nothing before it stopped.');
  else if (pending.length === 0) lines.push('', `None of its proposals waits for approval (${others}).`);
  else if (others) lines.push(`Its other proposals: ${others}.`);
  lines.push(
    '',
    'Nothing of this run is re-run: what it had not finished stays undone. Start a new run if the incident still needs one.',
  );
  return lines.join('\n');
}

function approvalsText(p: InterruptedRunProposal): string {
  const n = p.approvalsRequired;
  return `needs ${n} approval${n === 1 ? '' : 's'}`;
}

/** `1 succeeded, 2 blocked`, in the order the states first appear; empty when there are none. */
function countByState(proposals: readonly InterruptedRunProposal[]): string {
  const counts = new Map<string, number>();
  for (const p of proposals) counts.set(p.state, (counts.get(p.state) ?? 0) + 1);
  return [...counts].map(([state, n]) => `${n} ${state.replace(/_/g, ' ')}`).join(', ');
}

/** The outcome of a run whose end was recorded by someone else (recovery): what the row says. */
export function recordedOutcome(row: RunRow): RunOutcome {
  return {
    run: row,
    state: row.state as RunOutcome['state'],
    summary: row.summary ?? `${row.agent} on ${row.incidentId}: ${row.state}.`,
    error: row.error,
    observations: [],
    proposals: [],
    skipped: [],
    dropped: 0,
  };
}
