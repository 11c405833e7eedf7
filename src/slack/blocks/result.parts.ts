import { fixPluralMarks } from '../../shared/plural.ts';
import { compactJson, labelledFields } from './action-args.parts.ts';
import { SLACK_LIMITS } from './limits.ts';
import { codeBlock, fitMrkdwn } from './mrkdwn.ts';
import { auditHint, type ProposalView } from './proposal.parts.ts';

/**
 * What a tool returned (a `ToolResult`, already redacted, untrusted): its summary as a one-line outcome for
 * the card, and its data as labelled fields for the thread reply that holds the details.
 */

const OUTCOME_MAX = 300;
/** Room for a heading and a context line around the details in one section. */
const DETAILS_MAX = SLACK_LIMITS.sectionText - 200;

type StoredResult = { summary: string | null; data: unknown };

/** The stored result read defensively: a `ToolResult`, or any other JSON kept as data. */
function readResult(result: unknown): StoredResult | null {
  if (result === null || result === undefined) return null;
  if (typeof result === 'object' && !Array.isArray(result) && 'summary' in result) {
    const { summary, data } = result as { summary?: unknown; data?: unknown };
    return { summary: typeof summary === 'string' && summary.trim() ? summary : null, data };
  }
  return { summary: null, data: result };
}

function isEmpty(data: unknown): boolean {
  if (data === null || data === undefined) return true;
  if (typeof data === 'string') return data.trim() === '';
  return typeof data === 'object' && Object.keys(data).length === 0;
}

/**
 * The result in one line: the tool's summary, escaped, on one line, with `N line(s)` as real plurals.
 * Null when the tool gave no summary. Set it in a block quote, or after a label: it is the tool's text.
 */
export function resultOutcome(proposal: Pick<ProposalView, 'result'>): string | null {
  const summary = readResult(proposal.result)?.summary;
  if (!summary) return null;
  const oneLine = fixPluralMarks(summary.replace(/\s+/g, ' ').trim());
  return fitMrkdwn({ text: oneLine, max: OUTCOME_MAX });
}

/**
 * The result's data as mrkdwn for the details reply: labelled fields for a record (nested values as
 * compact code), a code block for anything else, within one section's limit. Null when there is no data.
 */
export function resultDetails(proposal: Pick<ProposalView, 'result' | 'id' | 'runId'>): string | null {
  const data = readResult(proposal.result)?.data;
  if (isEmpty(data)) return null;
  const note = auditHint(proposal);
  if (data !== null && typeof data === 'object' && !Array.isArray(data)) {
    return labelledFields({ record: data as Record<string, unknown>, max: DETAILS_MAX, note });
  }
  const text = typeof data === 'string' ? data : compactJson(data);
  return codeBlock({ text, max: DETAILS_MAX, note });
}
