import { cutText, truncateText, truncationNote } from './limits.ts';

const ZERO_WIDTH_SPACE = '\u200B';
const WORD_JOINER = '\u2060';
// Control characters (but tab and newline), bidi overrides, and Unicode tag characters (invisible text a
// model reads), which can make text read as something else.
const INVISIBLE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point.
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u202A-\u202E\u2066-\u2069\u{E0000}-\u{E007F}]/gu;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const FENCE = /`{3,}/g;
const BARE_BROADCAST = /@(channel|here|everyone)\b/gi;
const SLACK_USER_ID = /^[UW][A-Z0-9]{2,}$/;

/** Slack's three reserved characters as entities: nothing untrusted can open `<!channel>`, `<@U…>` or a link. */
function escapeChar(char: string): string {
  if (char === '&') return '&amp;';
  if (char === '<') return '&lt;';
  if (char === '>') return '&gt;';
  return char;
}

/** Untrusted text made inert before escaping: no invisible characters, no code fences, no bare broadcasts. */
function defuse(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(LONE_SURROGATE, '\uFFFD')
    .replace(INVISIBLE, '')
    .replace(FENCE, (fence) => fence.split('').join(ZERO_WIDTH_SPACE))
    .replace(BARE_BROADCAST, `@${WORD_JOINER}$1`);
}

/**
 * Escapes untrusted text for mrkdwn: `&`, `<`, `>` become entities, so injected `<!channel>` or `<@U…>`
 * shows as text and pings nobody; code fences and bare `@here` are broken up.
 */
export function escapeMrkdwn(text: string): string {
  return Array.from(defuse(text), escapeChar).join('');
}

/** Untrusted text, escaped and cut to `max` (with a truncation note), optionally as a block quote. */
export function fitMrkdwn({
  text,
  max,
  note,
  quote = false,
}: {
  text: string;
  max: number;
  note?: string | undefined;
  quote?: boolean;
}): string {
  const prefix = quote ? '> ' : '';
  const render = quote ? (char: string) => (char === '\n' ? '\n> ' : escapeChar(char)) : escapeChar;
  return prefix + truncateText({ text: defuse(text), max: max - prefix.length, note, render });
}

/** A fenced code block of untrusted text in at most `max` characters; a truncation note follows the fence. */
export function codeBlock({
  text,
  max,
  note,
}: {
  text: string;
  max: number;
  note?: string | undefined;
}): string {
  const clean = defuse(text);
  const fence = (body: string) => `\`\`\`\n${body || ' '}\n\`\`\``;
  const whole = cutText({ text: clean, max: max - 9, render: escapeChar });
  if (whole.omitted === 0) return fence(whole.text);
  const longest = truncationNote({ omitted: Array.from(clean).length, note });
  const kept = cutText({ text: clean, max: Math.max(0, max - 10 - longest.length), render: escapeChar });
  return `${fence(kept.text)}\n${truncationNote({ omitted: kept.omitted, note })}`;
}

/** A short untrusted value (an id, a tool or environment name) as inline code on one line. */
export function inlineCode(text: string, max = 120): string {
  const oneLine = defuse(text).replace(/`/g, 'ˋ').replace(/\s+/g, ' ').trim() || ' ';
  const cut = cutText({ text: oneLine, max: max - 3, render: escapeChar });
  return `\`${cut.text}${cut.omitted > 0 ? '…' : ''}\``;
}

/** Whether `text` is a real Slack user ID (`U…` or `W…`), the only thing Warden ever mentions. */
export function isSlackUserId(text: string): boolean {
  return SLACK_USER_ID.test(text);
}

/** A mention for a real Slack user ID; anything else is shown as inert code, so it cannot fake a mention. */
export function mention(userId: string): string {
  return SLACK_USER_ID.test(userId) ? `<@${userId}>` : inlineCode(userId, 60);
}

/** A timestamp each reader sees in their own time zone, with the ISO time as the fallback. */
export function slackDate(date: Date): string {
  const seconds = Math.floor(date.getTime() / 1000);
  return `<!date^${seconds}^{date_short_pretty} {time}|${date.toISOString()}>`;
}

/** Text for a plain_text object: one line, no invisible characters, cut with `…` to `max`. */
export function plainLine(text: string, max: number): string {
  const oneLine = defuse(text).replace(/\s+/g, ' ').trim() || ' ';
  const cut = cutText({ text: oneLine, max });
  if (cut.omitted === 0) return cut.text;
  return `${cutText({ text: oneLine, max: max - 1 }).text}…`;
}

/** The message's notification fallback: escaped, one line, at most `max` characters. */
export function fallbackText(text: string, max: number): string {
  const oneLine = defuse(text).replace(/\s+/g, ' ').trim();
  const cut = cutText({ text: oneLine, max: max - 1, render: escapeChar });
  return cut.omitted === 0 ? cut.text : `${cut.text}…`;
}

/** Pretty JSON for people; a string stays as it is, and a value JSON cannot hold becomes a note. */
export function prettyJson(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return '(a value that cannot be shown as JSON)';
  }
}

/** Whether an environment name means production, which the cards highlight. */
export function isProduction(environment: string): boolean {
  return /^prod(uction)?$/i.test(environment) || /(^|[-_])prod(uction)?($|[-_])/i.test(environment);
}
