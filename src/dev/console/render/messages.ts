import type { StoredEphemeral, StoredMessage, StoredView } from '../../slack-emulator/index.ts';
import { renderMessageBody, renderTextObject } from './blocks.ts';
import { attrs, escapeHtml, list, prop, str } from './html.ts';
import type { Directory } from './mrkdwn.ts';

/** Who is who when rendering: the bot's ids and people's names. */
export type RenderContext = {
  directory: Directory;
  botUserId: string;
  /** How a person's name appears as a message author. */
  displayName: (userId: string) => string;
};

type Item =
  | { kind: 'message'; message: StoredMessage; replies: StoredMessage[] }
  | { kind: 'ephemeral'; ephemeral: StoredEphemeral };

const AVATAR_COLORS = 7;

/** A stable colour class per author (`c0`…`c6`), so people are told apart at a glance. */
function colorFor(id: string): string {
  let hash = 0;
  for (const char of id) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return `c${hash % AVATAR_COLORS}`;
}

/**
 * A message's time as `<time>` with Slack's `{time}` format: the server writes `09:41 UTC`, and the page
 * script (dates.js) rewrites it as `9:41 AM` in the reader's own time zone, like `<!date>` tokens.
 */
function timeHtml(ts: string): string {
  const date = new Date(Number(ts) * 1000);
  if (Number.isNaN(date.getTime())) return '<time class="msg-time"></time>';
  const iso = date.toISOString();
  return `<time${attrs({ class: 'msg-time', datetime: iso, 'data-format': '{time}', 'data-ts': ts })}>${iso.slice(11, 16)} UTC</time>`;
}

function author(user: string, isBot: boolean, ctx: RenderContext) {
  const name = isBot ? 'Warden' : ctx.displayName(user);
  const initials = isBot ? 'W' : (name.match(/[A-Za-z0-9]/)?.[0] ?? '?').toUpperCase();
  return { name, initials, color: isBot ? 'bot' : colorFor(user) };
}

type MessageParts = {
  channel: string;
  ts: string;
  user: string;
  isBot: boolean;
  text: string;
  blocks: unknown[];
  edited: boolean;
  ephemeral: boolean;
  footer: string;
};

/**
 * One message. A `continued` message (same author, within five minutes) has no avatar or name line,
 * as Slack groups them; its time shows in the gutter instead.
 */
function messageHtml(ctx: RenderContext, m: MessageParts, { continued }: { continued: boolean }): string {
  const who = author(m.user, m.isBot, ctx);
  const body = renderMessageBody({ text: m.text, blocks: m.blocks, directory: ctx.directory });
  const time = timeHtml(m.ts);
  const edited = m.edited ? '<span class="msg-edited">(edited)</span>' : '';
  const gutter = continued
    ? `<div class="gutter">${time}</div>`
    : `<div class="avatar ${who.color}">${escapeHtml(who.initials)}</div>`;
  const meta = continued
    ? ''
    : `<div class="msg-meta"><span class="msg-author">${escapeHtml(who.name)}</span>${
        m.isBot ? '<span class="app-badge">APP</span>' : ''
      }${time}${edited}</div>`;
  const note = m.ephemeral
    ? '<div class="ephemeral-note"><span aria-hidden="true">👁</span> Only visible to you</div>'
    : '';
  return `<div${attrs({
    class: `msg${m.ephemeral ? ' msg-ephemeral' : ''}${continued ? ' msg-continued' : ''}`,
    'data-channel': m.channel,
    'data-ts': m.ts,
    'data-ephemeral': m.ephemeral,
  })}>${gutter}<div class="msg-main">${meta}<div class="msg-body">${body}${
    continued ? edited : ''
  }</div>${m.footer}${note}</div></div>`;
}

function partsOf(item: Item, ctx: RenderContext, { showReplies }: { showReplies: boolean }): MessageParts {
  if (item.kind === 'ephemeral') {
    const e = item.ephemeral;
    return {
      channel: e.channel,
      ts: e.ts,
      user: ctx.botUserId,
      isBot: true,
      text: e.text,
      blocks: e.blocks,
      edited: e.edited,
      ephemeral: true,
      footer: '',
    };
  }
  const m = item.message;
  const count = item.replies.length;
  const footer =
    showReplies && count > 0
      ? `<button type="button" class="thread-link"${attrs({ 'data-thread-ts': m.ts })}>${count} ${
          count === 1 ? 'reply' : 'replies'
        }</button>`
      : '';
  return {
    channel: m.channel,
    ts: m.ts,
    user: m.user,
    isBot: m.botId !== null || m.user === ctx.botUserId,
    text: m.text,
    blocks: m.blocks,
    edited: m.edited,
    ephemeral: false,
    footer,
  };
}

const GROUP_WINDOW_SECONDS = 300;
/** A card (a message that opens with a header) always shows who posted it. */
const startsWithHeader = (blocks: unknown[]) => str(blocks[0], 'type') === 'header';

/** Messages in order, grouping runs of one author's messages the way Slack does. */
function renderItems(items: Item[], ctx: RenderContext, options: { showReplies: boolean }): string {
  let previous: MessageParts | null = null;
  let html = '';
  for (const item of items) {
    const parts = partsOf(item, ctx, options);
    const continued =
      previous !== null &&
      !previous.ephemeral &&
      !parts.ephemeral &&
      previous.footer === '' &&
      !startsWithHeader(parts.blocks) &&
      previous.user === parts.user &&
      Number(parts.ts) - Number(previous.ts) < GROUP_WINDOW_SECONDS;
    html += messageHtml(ctx, parts, { continued });
    previous = parts;
  }
  return html;
}

const byTs = (a: Item, b: Item) => Number(tsOf(a)) - Number(tsOf(b));
const tsOf = (item: Item) => (item.kind === 'message' ? item.message.ts : item.ephemeral.ts);

/** The channel: top-level messages with their reply counts, and the viewer's own ephemerals, in order. */
export function renderChannel({
  ctx,
  channelName,
  messages,
  ephemerals,
}: {
  ctx: RenderContext;
  channelName: string;
  messages: StoredMessage[];
  ephemerals: StoredEphemeral[];
}): string {
  const items: Item[] = [
    ...messages
      .filter((m) => m.threadTs === null || m.replyBroadcast)
      .map((message) => ({
        kind: 'message' as const,
        message,
        replies: messages.filter((r) => r.threadTs === message.ts && r.ts !== message.ts),
      })),
    ...ephemerals
      .filter((e) => e.threadTs === null)
      .map((ephemeral) => ({ kind: 'ephemeral' as const, ephemeral })),
  ].sort(byTs);
  const intro = `<div class="channel-intro"><h2>#${escapeHtml(channelName)}</h2><p>This is the very beginning of <strong>#${escapeHtml(
    channelName,
  )}</strong>. Type <code>/agent help</code> or <code>/agent triage INC-123</code> below.</p></div>`;
  return intro + renderItems(items, ctx, { showReplies: true });
}

/** The thread pane: the parent, the replies, and the viewer's ephemerals in the thread. */
export function renderThread({
  ctx,
  thread,
  ephemerals,
}: {
  ctx: RenderContext;
  thread: StoredMessage[];
  ephemerals: StoredEphemeral[];
}): string {
  const [parent, ...replies] = thread;
  if (!parent) return '<p class="thread-missing">This thread is gone.</p>';
  const head = renderItems([{ kind: 'message', message: parent, replies: [] }], ctx, { showReplies: false });
  const rest: Item[] = [
    ...replies.map((message) => ({ kind: 'message' as const, message, replies: [] })),
    ...ephemerals
      .filter((e) => e.threadTs === parent.ts)
      .map((ephemeral) => ({ kind: 'ephemeral' as const, ephemeral })),
  ].sort(byTs);
  const divider = `<div class="thread-count">${replies.length} ${replies.length === 1 ? 'reply' : 'replies'}</div>`;
  return head + divider + renderItems(rest, ctx, { showReplies: false });
}

/** The modal on top of the viewer's stack: title, blocks (with inputs), Cancel and the submit button. */
export function renderModal({ ctx, view }: { ctx: RenderContext; view: StoredView }): string {
  const v = view.view;
  const title = renderTextObject({ text: prop(v, 'title'), directory: ctx.directory });
  const submit = str(prop(v, 'submit'), 'text');
  const close = str(prop(v, 'close'), 'text') ?? 'Cancel';
  const blocks = list(v, 'blocks');
  const body = renderMessageBody({ text: '', blocks, directory: ctx.directory });
  return `<div class="modal-backdrop"><form class="modal"${attrs({ 'data-view-id': view.id })}><div class="modal-head"><h3>${title}</h3><button type="button" class="modal-x" data-close aria-label="Close">×</button></div><div class="modal-body">${body}</div><div class="modal-errors" role="alert"></div><div class="modal-foot"><button type="button" class="b-btn" data-close>${escapeHtml(
    close,
  )}</button>${
    submit ? `<button type="submit" class="b-btn b-btn-primary">${escapeHtml(submit)}</button>` : ''
  }</div></form></div>`;
}
