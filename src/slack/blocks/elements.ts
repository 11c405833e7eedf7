import type {
  ActionsBlock,
  Button,
  ContextBlock,
  DividerBlock,
  HeaderBlock,
  KnownBlock,
  MrkdwnElement,
  PlainTextElement,
  SectionBlock,
} from '@slack/types';
import { cutText, FALLBACK_TEXT_MAX, SLACK_LIMITS } from './limits.ts';
import { fallbackText, plainLine } from './mrkdwn.ts';

/** What every builder returns: the notification fallback and the blocks. */
export type SlackMessage = { text: string; blocks: KnownBlock[] };

/**
 * A last-resort cap for mrkdwn Warden composed itself (already escaped): never cuts inside an entity or
 * inside one of our own `<…>` mentions or dates.
 */
function capMrkdwn(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = cutText({ text, max: max - 1 }).text;
  return `${cut.replace(/&[a-z]{0,4}$/i, '').replace(/<[^>]*$/, '')}…`;
}

/** A mrkdwn text object. `verbatim` stops Slack from auto-linking names or parsing bare mentions. */
export function md(text: string, max: number = SLACK_LIMITS.sectionText): MrkdwnElement {
  return { type: 'mrkdwn', text: capMrkdwn(text, max), verbatim: true };
}

/** A plain_text object on one line, cut to `max`. */
export function plain(text: string, max: number): PlainTextElement {
  return { type: 'plain_text', text: plainLine(text, max), emoji: true };
}

/** A header block (plain text, at most 150 characters). */
export function header(text: string): HeaderBlock {
  return { type: 'header', text: plain(text, SLACK_LIMITS.headerText) };
}

/** A section of mrkdwn (at most 3,000 characters). */
export function section(text: string): SectionBlock {
  return { type: 'section', text: md(text, SLACK_LIMITS.sectionText) };
}

/** A section of two-column fields: at most 10, each at most 2,000 characters. */
export function fields(items: string[]): SectionBlock {
  return {
    type: 'section',
    fields: items.slice(0, SLACK_LIMITS.sectionFields).map((item) => md(item, SLACK_LIMITS.fieldText)),
  };
}

/** A context block of small mrkdwn lines (at most 10 elements). */
export function context(items: string[]): ContextBlock {
  return {
    type: 'context',
    elements: items.slice(0, SLACK_LIMITS.contextElements).map((item) => md(item, SLACK_LIMITS.contextText)),
  };
}

/** A divider. */
export function divider(): DividerBlock {
  return { type: 'divider' };
}

/** A button; `value` is only ever an id, and the visible text is exactly `text`. */
export function button({
  text,
  actionId,
  value,
  style,
  confirm,
}: {
  text: string;
  actionId: string;
  value: string;
  style?: 'primary' | 'danger';
  confirm?: { title: string; text: string; confirm: string; deny: string };
}): Button {
  return {
    type: 'button',
    text: plain(text, SLACK_LIMITS.buttonText),
    action_id: actionId,
    value: value.slice(0, SLACK_LIMITS.buttonValue),
    ...(style ? { style } : {}),
    ...(confirm
      ? {
          confirm: {
            title: plain(confirm.title, SLACK_LIMITS.confirmTitle),
            text: plain(confirm.text, SLACK_LIMITS.confirmText),
            confirm: plain(confirm.confirm, SLACK_LIMITS.confirmButton),
            deny: plain(confirm.deny, SLACK_LIMITS.confirmButton),
            ...(style === 'danger' ? { style: 'danger' as const } : {}),
          },
        }
      : {}),
  };
}

/** An actions block with a stable block_id (so listeners can tell which card was clicked). */
export function actions({ blockId, elements }: { blockId: string; elements: Button[] }): ActionsBlock {
  return {
    type: 'actions',
    block_id: blockId.slice(0, SLACK_LIMITS.blockId),
    elements: elements.slice(0, SLACK_LIMITS.actionsElements),
  };
}

/** The message fallback: escaped, one line, short. */
export function fallback(text: string): string {
  return fallbackText(text, FALLBACK_TEXT_MAX);
}

/** Joins non-empty lines. */
export function lines(...items: (string | null | undefined | false)[]): string {
  return items.filter((item): item is string => typeof item === 'string' && item.length > 0).join('\n');
}
