import type { Charter } from '../policy/charter.schemas.ts';
import type { ProposalRow } from '../proposals/proposals.repository.ts';
import type { ToolResult } from './define.ts';

export type ExecutionOutcome =
  | { status: 'succeeded'; proposal: ProposalRow; result: ToolResult }
  | { status: 'failed' | 'outcome_unknown'; proposal: ProposalRow; reasonCode: string; message: string }
  /** The guard refused at execution time; nothing ran. */
  | { status: 'refused'; proposal: ProposalRow; reasonCode: string; message: string }
  /** Someone else already claimed it (double click, retry, another instance), or it is not approved. */
  | { status: 'not_claimed'; proposal: ProposalRow | null; message: string };

/** A claim: this instance now runs the proposal, or the outcome says why nothing will run. */
export type Claim =
  | { status: 'claimed'; proposal: ProposalRow; charter: Charter }
  | { status: 'done'; outcome: ExecutionOutcome };
