import { describe, expect, it } from 'vitest';
import { validateBlocks, validateMessage, validateView } from '../../../src/dev/slack-emulator/index.ts';
import { approvalCard } from './harness.ts';

const mrkdwn = (text: string) => ({ type: 'mrkdwn', text });
const plain = (text: string) => ({ type: 'plain_text', text });
const button = (overrides: Record<string, unknown> = {}) => ({
  type: 'button',
  action_id: 'go',
  text: plain('Go'),
  ...overrides,
});
const x = (n: number) => 'x'.repeat(n);

describe('validateBlocks', () => {
  it('accepts the blocks Warden uses', () => {
    const blocks = [
      { type: 'header', text: plain(x(150)) },
      { type: 'section', text: mrkdwn(x(3000)), accessory: button({ url: 'https://example.com' }) },
      { type: 'section', fields: Array.from({ length: 10 }, () => mrkdwn(x(2000))) },
      { type: 'divider', block_id: x(255) },
      { type: 'context', elements: Array.from({ length: 10 }, () => plain('ctx')) },
      ...approvalCard('prp_1'),
      {
        type: 'actions',
        elements: [
          button({
            action_id: x(255),
            value: x(2000),
            text: plain(x(75)),
            style: 'danger',
            confirm: {
              title: plain('Sure?'),
              text: mrkdwn('Really'),
              confirm: plain('Yes'),
              deny: plain('No'),
            },
          }),
        ],
      },
    ];
    expect(validateBlocks(blocks)).toEqual([]);
  });

  it('reports text limits with the path to the text', () => {
    expect(
      validateBlocks([
        { type: 'section', text: mrkdwn(x(3001)) },
        { type: 'section', fields: [mrkdwn('ok'), mrkdwn(x(2001))] },
        { type: 'header', text: plain(x(151)) },
        { type: 'section', text: mrkdwn('') },
      ]),
    ).toEqual([
      'blocks[0].text.text: more than 3000 characters',
      'blocks[1].fields[1].text: more than 2000 characters',
      'blocks[2].text.text: more than 150 characters',
      'blocks[3].text.text: must be more than 0 characters',
    ]);
  });

  it('reports button limits', () => {
    expect(
      validateBlocks([
        {
          type: 'actions',
          elements: [
            button({ text: plain(x(76)) }),
            button({ action_id: x(256) }),
            button({ action_id: 'v', value: x(2001) }),
            button({ action_id: 's', style: 'secondary' }),
            button({
              action_id: 'c',
              confirm: { title: plain('t'), text: mrkdwn('t'), confirm: plain('y') },
            }),
          ],
        },
      ]),
    ).toEqual([
      'blocks[0].elements[0].text.text: more than 75 characters',
      'blocks[0].elements[1].action_id: more than 255 characters',
      'blocks[0].elements[2].value: more than 2000 characters',
      'blocks[0].elements[3].style: must be one of: primary, danger',
      'blocks[0].elements[4].confirm.deny: must provide an object',
    ]);
  });

  it('reports counts: fields, context elements, actions elements and blocks per surface', () => {
    expect(
      validateBlocks([{ type: 'section', fields: Array.from({ length: 11 }, () => mrkdwn('f')) }]),
    ).toEqual(['blocks[0].fields: more than 10 items']);
    expect(
      validateBlocks([{ type: 'context', elements: Array.from({ length: 11 }, () => mrkdwn('c')) }]),
    ).toEqual(['blocks[0].elements: more than 10 items']);
    expect(validateBlocks([{ type: 'context', elements: [] }])).toEqual([
      'blocks[0].elements: must have at least 1 item',
    ]);
    const buttons = Array.from({ length: 26 }, (_, i) => button({ action_id: `b${i}` }));
    expect(validateBlocks([{ type: 'actions', elements: buttons }])).toEqual([
      'blocks[0].elements: more than 25 items',
    ]);

    const dividers = (n: number) => Array.from({ length: n }, () => ({ type: 'divider' }));
    expect(validateBlocks(dividers(50))).toEqual([]);
    expect(validateBlocks(dividers(51))).toEqual(['blocks: more than 50 items']);
    expect(validateBlocks(dividers(100), { surface: 'modal' })).toEqual([]);
    expect(validateBlocks(dividers(101), { surface: 'home' })).toEqual(['blocks: more than 100 items']);
  });

  it('reports block ids that are too long or repeated, and repeated action ids in one block', () => {
    expect(
      validateBlocks([
        { type: 'divider', block_id: 'same' },
        { type: 'divider', block_id: 'same' },
        { type: 'divider', block_id: x(256) },
        { type: 'actions', elements: [button(), button()] },
      ]),
    ).toEqual([
      'blocks[1].block_id: duplicate block_id `same`',
      'blocks[2].block_id: more than 255 characters',
      'blocks[3].elements[1].action_id: duplicate action_id `go`',
    ]);
  });

  it('reports shapes outside the subset: unknown types, typos, missing text, inputs in messages', () => {
    expect(
      validateBlocks([
        { type: 'carousel' },
        { type: 'section', text: mrkdwn('t'), acessory: button() },
        { type: 'section' },
        { type: 'context', elements: [{ type: 'image', image_url: 'https://x', alt_text: 'x' }] },
        { type: 'section', text: mrkdwn('t'), accessory: { type: 'overflow', options: [] } },
        {
          type: 'input',
          label: plain('Why'),
          element: { type: 'plain_text_input', action_id: 'why' },
        },
        'divider',
      ]),
    ).toEqual([
      'blocks[0].type: unsupported type `carousel`',
      'blocks[1]: unsupported property `acessory`',
      'blocks[2]: must define either `text` or `fields`',
      'blocks[3].elements[0].type: unsupported type `image`',
      'blocks[4].accessory.type: unsupported type `overflow`',
      'blocks[5].type: input blocks are only allowed in modals and Home tabs',
      'blocks[6]: must provide an object',
    ]);
    expect(validateBlocks({ type: 'divider' })).toEqual(['blocks: must provide an array']);
  });
});

describe('validateMessage and validateView', () => {
  it('limits message text to 40,000 characters', () => {
    expect(validateMessage({ text: x(40_000), blocks: [] })).toEqual([]);
    expect(validateMessage({ text: x(40_001), blocks: [{ type: 'header', text: plain(x(151)) }] })).toEqual([
      'text: more than 40000 characters',
      'blocks[0].text.text: more than 150 characters',
    ]);
  });

  it('checks modal titles, submit with inputs, private_metadata and blocks', () => {
    const input = {
      type: 'input',
      label: plain('Why'),
      element: { type: 'plain_text_input', action_id: 'why' },
    };
    const modal = { type: 'modal', title: plain('Kill switch'), submit: plain('Engage'), blocks: [input] };
    expect(validateView(modal, { surface: 'modal' })).toEqual([]);
    expect(
      validateView(
        {
          type: 'modal',
          title: plain(x(25)),
          private_metadata: x(3001),
          blocks: [input, { type: 'divider', x: 1 }],
        },
        { surface: 'modal' },
      ),
    ).toEqual([
      'view.title.text: more than 24 characters',
      'view.private_metadata: more than 3000 characters',
      'view.blocks[1]: unsupported property `x`',
      'view.submit: required when the view has input blocks',
    ]);
    expect(validateView({ type: 'modal', title: plain('t'), blocks: [] }, { surface: 'home' })).toEqual([
      'view.type: must be one of: home',
    ]);
  });
});
