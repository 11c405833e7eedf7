import { replaceEmoji } from './emoji.ts';
import { attrs, escapeHtml } from './html.ts';

/** Names for ids in mentions: people, channels and user groups of the emulated workspace. */
export type Directory = {
  userName: (id: string) => string;
  channelName: (id: string) => string | undefined;
  groupHandle: (id: string) => string | undefined;
};

// Private-use characters mark where already-rendered HTML goes back in; input never keeps them.
const OPEN = '\uE000';
const CLOSE = '\uE001';
const PLACEHOLDER = /\uE000(\d+)\uE001/g;

/** Slack sends `&`, `<` and `>` as entities in mrkdwn; this turns them back into characters. */
function decodeEntities(text: string): string {
  return text.replace(/&(lt|gt|amp);/g, (_whole, name: string) =>
    name === 'lt' ? '<' : name === 'gt' ? '>' : '&',
  );
}

/** Text from mrkdwn, shown as text. */
const literal = (text: string) => escapeHtml(decodeEntities(text));

function mentionHtml(label: string, kind: string): string {
  return `<span class="mention ${kind}">${escapeHtml(label)}</span>`;
}

/**
 * `<!date^seconds^format^link|fallback>` as a `<time>` holding the fallback; the page script rewrites it
 * with the format in the reader's own time zone, as Slack does.
 */
function dateHtml(target: string, label: string | undefined): string {
  const [, secondsText = '', format = ''] = target.split('^');
  const seconds = /^-?\d{1,12}$/.test(secondsText) ? Number(secondsText) : Number.NaN;
  const date = new Date(seconds * 1000);
  if (Number.isNaN(date.getTime())) return escapeHtml(label ?? target);
  const iso = date.toISOString();
  return `<time${attrs({ class: 'md-date', datetime: iso, 'data-format': format || '{date_short_pretty} {time}' })}>${escapeHtml(label ?? iso)}</time>`;
}

/** `<…>` tokens: mentions, dates, broadcasts and links. Anything else shows as its text. */
function renderToken(token: string, directory: Directory): string {
  const [target = '', ...rest] = token.split('|');
  const label = rest.length > 0 ? decodeEntities(rest.join('|')) : undefined;
  if (/^@[UW][A-Z0-9]+$/.test(target)) return mentionHtml(`@${directory.userName(target.slice(1))}`, 'user');
  if (/^#C[A-Z0-9]+$/.test(target)) {
    const name = label ?? directory.channelName(target.slice(1)) ?? target.slice(1);
    return mentionHtml(`#${name}`, 'channel');
  }
  if (target.startsWith('!subteam^')) {
    const handle = label ?? `@${directory.groupHandle(target.slice(9)) ?? target.slice(9)}`;
    return mentionHtml(handle.startsWith('@') ? handle : `@${handle}`, 'group');
  }
  if (target.startsWith('!date^')) return dateHtml(target, label);
  if (/^!(here|channel|everyone)$/.test(target)) return mentionHtml(`@${target.slice(1)}`, 'broadcast');
  const url = decodeEntities(target);
  if (/^(https?:\/\/|mailto:)/i.test(url)) {
    return `<a href="${escapeHtml(url)}" target="_blank" rel="noopener noreferrer">${escapeHtml(label ?? url)}</a>`;
  }
  return escapeHtml(label ?? `<${decodeEntities(token)}>`);
}

/** Bold, italics, strikethrough and emoji in one line of escaped text. */
function formatLine(html: string): string {
  return replaceEmoji(html)
    .replace(/(^|[^\w*])\*(?!\s)([^*\n]+?)\*(?![\w*])/g, '$1<strong>$2</strong>')
    .replace(/(^|[^\w_])_(?!\s)([^_\n]+?)_(?![\w_])/g, '$1<em>$2</em>')
    .replace(/(^|[^\w~])~(?!\s)([^~\n]+?)~(?![\w~])/g, '$1<del>$2</del>');
}

/** Lines starting with `>` become one block quote per run of such lines. */
function renderLines(text: string): string {
  const out: string[] = [];
  let quote: string[] = [];
  const flush = () => {
    if (quote.length > 0) out.push(`<blockquote>${quote.join('<br>')}</blockquote>`);
    quote = [];
  };
  for (const line of text.split('\n')) {
    const quoted = /^>\s?(.*)$/.exec(line);
    if (quoted) {
      quote.push(formatLine(literal(quoted[1] ?? '')));
      continue;
    }
    flush();
    out.push(`${formatLine(literal(line))}<br>`);
  }
  flush();
  return out
    .join('')
    .replace(/<br>$/, '')
    .replace(/<br>(<blockquote>)/g, '$1');
}

/**
 * Slack mrkdwn as safe HTML: code blocks, inline code, mentions as @names, dates as their fallback,
 * links (http, https and mailto only), bold, italics, strikethrough, quotes and emoji. Every piece of
 * text is escaped, so nothing in a message can become markup.
 */
export function renderMrkdwn({ text, directory }: { text: string; directory: Directory }): string {
  const pieces: string[] = [];
  const keep = (html: string) => `${OPEN}${pieces.push(html) - 1}${CLOSE}`;
  const source = text
    .replace(/[\uE000\uE001]/g, '')
    .replace(/```\n?([\s\S]*?)\n?```/g, (_whole, code: string) =>
      keep(`<pre class="md-pre">${literal(code)}</pre>`),
    )
    .replace(/`([^`\n]+)`/g, (_whole, code: string) => keep(`<code>${literal(code)}</code>`))
    .replace(/<([^<>\n]+)>/g, (_whole, token: string) => keep(renderToken(token, directory)));
  return renderLines(source)
    .replace(PLACEHOLDER, (_whole, index: string) => pieces[Number(index)] ?? '')
    .replace(/<\/pre><br>/g, '</pre>');
}

/** A plain_text object as HTML: escaped, with emoji shortcodes when `emoji` is on. */
export function renderPlainText({ text, emoji = true }: { text: string; emoji?: boolean }): string {
  const html = escapeHtml(text);
  return emoji ? replaceEmoji(html) : html;
}
