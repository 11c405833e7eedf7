import { attrs, escapeHtml, list, prop, str } from './html.ts';
import { type Directory, renderMrkdwn, renderPlainText } from './mrkdwn.ts';

/** A text object (mrkdwn or plain_text) as HTML. */
export function renderTextObject({ text, directory }: { text: unknown; directory: Directory }): string {
  const body = str(text, 'text') ?? '';
  if (str(text, 'type') === 'mrkdwn') return renderMrkdwn({ text: body, directory });
  return renderPlainText({ text: body, emoji: prop(text, 'emoji') !== false });
}

/** A button with its style; a `confirm` dialog travels as JSON for the page script to show first. */
function renderButton(button: unknown): string {
  const style = str(button, 'style');
  const confirm = prop(button, 'confirm');
  const confirmJson =
    confirm === undefined
      ? undefined
      : JSON.stringify({
          title: str(prop(confirm, 'title'), 'text') ?? 'Are you sure?',
          text: str(prop(confirm, 'text'), 'text') ?? '',
          confirm: str(prop(confirm, 'confirm'), 'text') ?? 'Yes',
          deny: str(prop(confirm, 'deny'), 'text') ?? 'Cancel',
          style: str(confirm, 'style') ?? null,
        });
  const label = renderPlainText({ text: str(prop(button, 'text'), 'text') ?? '' });
  return `<button${attrs({
    type: 'button',
    class: `b-btn${style === 'primary' || style === 'danger' ? ` b-btn-${style}` : ''}`,
    'data-action-id': str(button, 'action_id'),
    'data-value': str(button, 'value'),
    'data-confirm': confirmJson,
  })}>${label}</button>`;
}

/** An element inside a block: buttons now; anything else is named, not dropped silently. */
function renderElement(element: unknown): string {
  if (str(element, 'type') === 'button') return renderButton(element);
  return `<span class="b-unsupported">[${escapeHtml(str(element, 'type') ?? 'element')}]</span>`;
}

function renderSection(block: unknown, directory: Directory): string {
  const text = prop(block, 'text');
  const fields = list(block, 'fields');
  const accessory = prop(block, 'accessory');
  const body = [
    text === undefined ? '' : `<div class="b-text">${renderTextObject({ text, directory })}</div>`,
    fields.length === 0
      ? ''
      : `<div class="b-fields">${fields
          .map((field) => `<div class="b-field">${renderTextObject({ text: field, directory })}</div>`)
          .join('')}</div>`,
  ].join('');
  const side = accessory === undefined ? '' : `<div class="b-accessory">${renderElement(accessory)}</div>`;
  return `<div class="b-section"><div class="b-section-body">${body}</div>${side}</div>`;
}

function renderInput(block: unknown, directory: Directory): string {
  const element = prop(block, 'element');
  const label = renderTextObject({ text: prop(block, 'label'), directory });
  const optional = prop(block, 'optional') === true ? ' <span class="b-optional">(optional)</span>' : '';
  if (str(element, 'type') !== 'plain_text_input') {
    return `<div class="b-input"><label>${label}</label>${renderElement(element)}</div>`;
  }
  const common = attrs({
    class: 'b-input-field',
    'data-block-id': str(block, 'block_id'),
    'data-action-id': str(element, 'action_id'),
    placeholder: str(prop(element, 'placeholder'), 'text'),
    maxlength:
      typeof prop(element, 'max_length') === 'number' ? Number(prop(element, 'max_length')) : undefined,
  });
  const initial = escapeHtml(str(element, 'initial_value') ?? '');
  const field =
    prop(element, 'multiline') === true
      ? `<textarea rows="4"${common}>${initial}</textarea>`
      : `<input type="text"${common} value="${initial}">`;
  return `<div class="b-input"><label>${label}${optional}${field}</label></div>`;
}

/** One Block Kit block as HTML: header, section (text, fields, accessory), context, divider, actions, input. */
export function renderBlock({ block, directory }: { block: unknown; directory: Directory }): string {
  switch (str(block, 'type')) {
    case 'header':
      return `<div class="b-header">${renderTextObject({ text: prop(block, 'text'), directory })}</div>`;
    case 'section':
      return renderSection(block, directory);
    case 'context':
      return `<div class="b-context">${list(block, 'elements')
        .map((element) =>
          str(element, 'type') === 'image'
            ? `<span class="b-context-image">${escapeHtml(str(element, 'alt_text') ?? '')}</span>`
            : `<span class="b-context-item">${renderTextObject({ text: element, directory })}</span>`,
        )
        .join('')}</div>`;
    case 'divider':
      return '<hr class="b-divider">';
    case 'actions':
      return `<div class="b-actions"${attrs({ 'data-block-id': str(block, 'block_id') })}>${list(
        block,
        'elements',
      )
        .map(renderElement)
        .join('')}</div>`;
    case 'input':
      return renderInput(block, directory);
    case 'image':
      return `<div class="b-unsupported">[image: ${escapeHtml(str(block, 'alt_text') ?? '')}]</div>`;
    default:
      return `<div class="b-unsupported">[unsupported block: ${escapeHtml(str(block, 'type') ?? '?')}]</div>`;
  }
}

/** A message body: its blocks when it has any, else its text as mrkdwn (as Slack shows it). */
export function renderMessageBody({
  text,
  blocks,
  directory,
}: {
  text: string;
  blocks: unknown[];
  directory: Directory;
}): string {
  if (blocks.length === 0) return `<div class="b-text">${renderMrkdwn({ text, directory })}</div>`;
  return blocks.map((block) => renderBlock({ block, directory })).join('');
}
