import { fixPluralMarks } from '../../shared/plural.ts';
import { labelOf } from './action-args.parts.ts';
import { withSlackDates } from './dates.ts';
import { fitMrkdwn } from './mrkdwn.ts';

/**
 * A proposal's evidence (arbitrary JSON from the planner and the run) as a few distinct observations a
 * person reads at a glance. All of it is untrusted: the text is only tidied here, then escaped.
 */

/** Keys the cards show elsewhere (the injection warning, the planner's claims), never as observations. */
const NOT_OBSERVATIONS = new Set(['suspectedInjection', 'expectedEffect', 'rollback']);
/** Keys whose items are whole sentences that need no label. */
const UNLABELLED = new Set(['observations']);
/** How many leaves are read at most, so a huge evidence object costs little. */
const MAX_SCANNED = 300;
const ITEM_MAX = 220;
const CLAIM_MAX = 300;
// ` — `, ` – `, ` - `, ` -- `: where a summary joins its parts.
const JOINER = /(\s+(?:[—–]|-{1,2})\s+)/;

/** The planner's own words about the action: what it should do and how to undo it. Raw, untrusted. */
export function plannerClaims(evidence: unknown): { expectedEffect: string | null; rollback: string | null } {
  const record = isRecord(evidence) ? evidence : {};
  const text = (value: unknown) =>
    typeof value === 'string' && value.trim() ? value.replace(/\s+/g, ' ').trim() : null;
  return { expectedEffect: text(record.expectedEffect), rollback: text(record.rollback) };
}

/** A claim as one escaped line, cut to a sentence-sized length. */
export function claimText(text: string): string {
  return fitMrkdwn({ text, max: CLAIM_MAX });
}

/**
 * The distinct observations in `evidence`, in order, tidied: the run's `tool in <environment>:` prefix
 * dropped when the card already names that environment, `N line(s)` as a real plural, and a part that
 * only repeats an earlier one (`X — X`) left out. Raw, untrusted text: escape it before showing it.
 */
export function observationsOf({
  evidence,
  environment,
}: {
  evidence: unknown;
  environment: string;
}): string[] {
  const leaves: string[] = [];
  collect({ value: evidence, label: null, top: true, leaves });
  const seen = new Set<string>();
  const distinct: string[] = [];
  for (const leaf of leaves) {
    const text = tidy({ text: leaf, environment });
    const key = text.toLowerCase();
    if (!text || seen.has(key)) continue;
    seen.add(key);
    distinct.push(text);
  }
  return distinct;
}

/** One observation as an escaped mrkdwn line, with ISO times shown in each reader's own time zone. */
export function observationLine({ text, note }: { text: string; note?: string | undefined }): string {
  return withSlackDates(fitMrkdwn({ text, max: ITEM_MAX, note }));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function collect({
  value,
  label,
  top,
  leaves,
}: {
  value: unknown;
  label: string | null;
  top: boolean;
  leaves: string[];
}): void {
  if (leaves.length >= MAX_SCANNED || value === null || value === undefined) return;
  const labelled = (text: string) => (label ? `${label}: ${text}` : text);
  if (typeof value === 'string') {
    for (const line of value.split('\n').slice(0, MAX_SCANNED)) leaves.push(labelled(line));
  } else if (typeof value === 'number' || typeof value === 'boolean') {
    leaves.push(labelled(String(value)));
  } else if (Array.isArray(value)) {
    for (const item of value.slice(0, MAX_SCANNED)) collect({ value: item, label, top: false, leaves });
  } else if (isRecord(value)) {
    const entries = Object.entries(value).filter(([key]) => !(top && NOT_OBSERVATIONS.has(key)));
    const flat = entries.every(([, v]) => v === null || ['string', 'number', 'boolean'].includes(typeof v));
    if (flat && !top && entries.length > 0) {
      // A small record of facts reads best as one line: `Metrics: p99 ms 31000, error rate 0.42`.
      leaves.push(labelled(entries.map(([k, v]) => `${labelOf(k).toLowerCase()} ${String(v)}`).join(', ')));
      return;
    }
    for (const [key, item] of entries.slice(0, MAX_SCANNED)) {
      const next = UNLABELLED.has(key) ? null : labelOf(key);
      collect({ value: item, label: next, top: false, leaves });
    }
  }
}

function tidy({ text, environment }: { text: string; environment: string }): string {
  let line = text.replace(/\s+/g, ' ').trim();
  const prefix = /^[a-z][a-z0-9_]{0,63} in (\S{1,80}): /.exec(line);
  if (prefix && prefix[1] === environment) line = line.slice(prefix[0].length);
  return dropRepeats(fixPluralMarks(line));
}

const wordsOf = (text: string) =>
  text
    .toLowerCase()
    .split(/[^\p{L}\p{N}%.]+/u)
    .filter(Boolean);

/** `A — B` without B when every word of B is already in A (`checkout in production — checkout in production`). */
export function dropRepeats(text: string): string {
  const pieces = text.split(JOINER);
  const known = new Set<string>();
  let out = '';
  for (let i = 0; i < pieces.length; i += 2) {
    const part = pieces[i] ?? '';
    const words = wordsOf(part);
    const adds = words.length === 0 || words.some((w) => !known.has(w));
    if (!adds && i > 0) continue;
    out += (i > 0 ? pieces[i - 1] : '') + part;
    for (const w of words) known.add(w);
  }
  return out.trim();
}
