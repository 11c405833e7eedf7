import type { KnownBlock } from '@slack/types';
import { lines, section } from './elements.ts';
import { fitMrkdwn, inlineCode } from './mrkdwn.ts';
import type { ProposalView } from './proposal.parts.ts';

/** A flagged read as a proposal's `evidence.suspectedInjection` holds it (set by the run, redacted). */
type FlaggedRead = { tool: string; signals: string[]; excerpt: string };

function flaggedReads(evidence: unknown): FlaggedRead[] {
  const list =
    evidence && typeof evidence === 'object'
      ? (evidence as { suspectedInjection?: unknown }).suspectedInjection
      : null;
  if (!Array.isArray(list)) return [];
  return list.flatMap((item: unknown) => {
    if (!item || typeof item !== 'object') return [];
    const { tool, signals, excerpt } = item as Record<string, unknown>;
    return [
      {
        tool: typeof tool === 'string' ? tool : 'a tool',
        signals: Array.isArray(signals) ? signals.filter((x): x is string => typeof x === 'string') : [],
        excerpt: typeof excerpt === 'string' ? excerpt : '',
      },
    ];
  });
}

const QUOTED_READS = 2;
const QUOTE_MAX = 300;

/**
 * The warning every card of a tainted proposal leads with: the run read text that reads like
 * instructions aimed at the agent (the proposal's `evidence.suspectedInjection`, not empty) before it
 * proposed this. It names the tools and the detector's signals and quotes the flagged text — already
 * redacted by the guard, escaped and set in a block quote here, so it can ping, link or format nothing.
 */
export function injectionWarning(proposal: Pick<ProposalView, 'evidence'>): KnownBlock[] {
  const flagged = flaggedReads(proposal.evidence);
  if (flagged.length === 0) return [];
  const tools = [...new Set(flagged.map((f) => f.tool))].slice(0, 5).map((t) => inlineCode(t, 60));
  const signals = [...new Set(flagged.flatMap((f) => f.signals))].slice(0, 6);
  const quotes = flagged
    .filter((f) => f.excerpt.trim() !== '')
    .slice(0, QUOTED_READS)
    .map(
      (f) =>
        `${inlineCode(f.tool, 60)} returned:\n${fitMrkdwn({ text: f.excerpt, max: QUOTE_MAX, quote: true })}`,
    );
  return [
    section(
      lines(
        `:warning: *Suspected prompt injection.* Before proposing this, the run read text in what ${tools.join(', ')} returned that reads like instructions aimed at the agent${signals.length > 0 ? ` (${signals.join(', ')})` : ''}. Judge the action itself, not the planner's reasons.`,
        ...quotes,
      ),
    ),
  ];
}
