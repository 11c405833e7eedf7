import { plural } from '../../shared/plural.ts';
import { fitWithSlackDates, withSlackDates } from './dates.ts';
import { codeBlock, fitMrkdwn, inlineCode } from './mrkdwn.ts';

/**
 * Arguments (or a tool's result data) as labelled fields a person reads: `*Service:* \`checkout\``,
 * `*Title:* …`, a multi-line text as a block quote with its real line breaks, a nested value as compact
 * code. Every key and value is untrusted: labels keep only letters, digits and spaces; values are escaped.
 */

/** A value longer than this is not shown inline; it gets its own lines and a share of the budget. */
const INLINE_MAX = 160;
/** An identifier-like string up to this length is set as inline code. */
const CODE_MAX = 80;
/** A value that is one `Date#toISOString` timestamp and nothing else. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z$/;
/** At most this many keys are shown; the rest are counted. */
const MAX_FIELDS = 12;
/** The least room a block value gets, however many there are. */
const BLOCK_MIN = 120;

/** `to_version` → `To version`, `latencyP99Ms` → `Latency p99 ms`; only letters, digits and spaces survive. */
export function labelOf(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
    .toLowerCase()
    .slice(0, 40)
    .trim();
  return words ? words[0]!.toUpperCase() + words.slice(1) : 'Value';
}

/** JSON that stays on one line while it is short and breaks objects and arrays across lines when not. */
export function compactJson(value: unknown, indent = ''): string {
  let flat: string | undefined;
  try {
    flat = JSON.stringify(value);
  } catch {
    return '(a value that cannot be shown as JSON)';
  }
  if (flat === undefined) return String(value);
  if (value === null || typeof value !== 'object' || flat.length <= 80 - indent.length) return flat;
  const inner = `${indent}  `;
  const items = Array.isArray(value)
    ? value.map((v) => `${inner}${compactJson(v, inner)}`)
    : Object.entries(value).map(([k, v]) => `${inner}${JSON.stringify(k)}: ${compactJson(v, inner)}`);
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  return `${open}\n${items.join(',\n')}\n${indent}${close}`;
}

type Field = { label: string; value: unknown; inline: string | null };

/** The one-line form of a value, or null when it needs lines of its own. */
function inlineForm(value: unknown): string | null {
  if (value === null || value === undefined) return '_none_';
  if (typeof value === 'number' || typeof value === 'boolean') return inlineCode(String(value), CODE_MAX);
  if (typeof value === 'string') {
    if (value.trim() === '') return '_empty_';
    // A timestamp reads in the reader's own zone.
    if (ISO_TIME.test(value)) return withSlackDates(value);
    if (value.includes('\n') || value.length > INLINE_MAX) return null;
    if (!/\s/.test(value) && value.length <= CODE_MAX) return inlineCode(value, CODE_MAX + 3);
    return withSlackDates(fitMrkdwn({ text: value, max: INLINE_MAX * 2 }));
  }
  // An object gets bullets of its own fields (see `nestedForm`).
  if (isRecord(value)) return null;
  const json = compactJson(value);
  return json.length <= CODE_MAX && !json.includes('\n') ? inlineCode(json, CODE_MAX + 3) : null;
}

/** A JSON object that is not an array: its fields can be labelled too. */
function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Nested fields shown one level down; deeper values (a list of pods) stay compact code. */
const NESTED_MAX = 12;

/**
 * An object's fields as bullets (`• *Version:* \`v2.13.4\``), so its text and times read like the rest;
 * a value with no one-line form is shown as one line of code cut to fit. Null when it does not fit in `max`.
 */
function nestedForm(value: Record<string, unknown>, max: number): string | null {
  const entries = Object.entries(value);
  const bullets = entries.slice(0, NESTED_MAX).map(([key, inner]) => {
    const shown = inlineForm(inner) ?? inlineCode(compactJson(inner).replace(/\s*\n\s*/g, ' '), 240);
    return `• *${labelOf(key)}:* ${shown}`;
  });
  if (entries.length > NESTED_MAX) bullets.push(`• _${plural(entries.length - NESTED_MAX, 'more field')}_`);
  const text = bullets.join('\n');
  return text.length <= max ? text : null;
}

/**
 * A value on lines of its own: an object as bullets of its fields when they fit, text as a block quote (its real line breaks, blank lines left out),
 * anything else as compact code; past `maxLines` lines, the rest is counted and `note` says where to read it.
 */
function blockForm({
  value,
  max,
  maxLines,
  note,
}: {
  value: unknown;
  max: number;
  maxLines: number;
  note?: string | undefined;
}): string {
  const nested = isRecord(value) ? nestedForm(value, max) : null;
  if (nested) return nested;
  // Blank lines only space text out; a card has no room for them.
  const text =
    typeof value === 'string' ? value.replace(/\r\n?/g, '\n').replace(/\n\s*\n/g, '\n') : compactJson(value);
  const all = text.split('\n');
  // Cutting one or two lines saves nothing worth the note.
  const cut = all.length > maxLines + 2 ? all.length - maxLines : 0;
  const kept = cut > 0 ? all.slice(0, maxLines).join('\n') : text;
  const rest = cut > 0 ? `_… ${plural(cut, 'more line')}${note ? `; ${note}` : ''}_` : null;
  const room = max - (rest ? rest.length + 1 : 0);
  // Text shows its ISO times in the reader's zone (code cannot: Slack formats no dates inside it).
  const shown =
    typeof value === 'string'
      ? fitWithSlackDates({
          max: room,
          render: (fit) => fitMrkdwn({ text: kept, max: fit, note, quote: true }),
        })
      : codeBlock({ text: kept, max: room, note });
  return rest ? `${shown}\n${rest}` : shown;
}

/**
 * `record` as labelled lines in at most `max` characters: one-line values first (in the stored order),
 * then the long ones, which share what is left. Keys that do not fit are counted, and `note` says where
 * to read them and what was cut.
 */
export function labelledFields({
  record,
  max,
  maxLines = Number.POSITIVE_INFINITY,
  note,
}: {
  record: Record<string, unknown>;
  max: number;
  /** Lines a long value may take before the rest is cut (a card keeps them short; a thread reply need not). */
  maxLines?: number;
  note?: string | undefined;
}): string {
  const entries = Object.entries(record);
  const fields: Field[] = entries
    .slice(0, MAX_FIELDS)
    .map(([key, value]) => ({ label: labelOf(key), value, inline: inlineForm(value) }));
  const longOnes = fields.filter((f) => f.inline === null);
  const ordered = [...fields.filter((f) => f.inline !== null), ...longOnes];
  const reserve = 60 + (note?.length ?? 0);
  const shortLength = ordered.reduce((n, f) => n + (f.inline ? f.label.length + f.inline.length + 6 : 0), 0);
  const share = Math.max(
    BLOCK_MIN,
    Math.floor((max - reserve - shortLength) / Math.max(1, longOnes.length)) - 40,
  );
  const shown: string[] = [];
  let room = max - reserve;
  for (const field of ordered) {
    const blockRoom = Math.min(share, room - field.label.length - 8);
    if (field.inline === null && blockRoom < BLOCK_MIN / 2) break;
    const line = field.inline
      ? `*${field.label}:* ${field.inline}`
      : `*${field.label}:*\n${blockForm({ value: field.value, max: blockRoom, maxLines, note })}`;
    if (line.length + 1 > room) break;
    shown.push(line);
    room -= line.length + 1;
  }
  const hidden = entries.length - shown.length;
  if (hidden > 0) shown.push(`_${plural(hidden, 'more field')} not shown${note ? `; ${note}` : ''}_`);
  return shown.join('\n');
}
