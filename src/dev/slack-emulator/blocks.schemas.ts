import { z } from 'zod';

/**
 * The Block Kit subset Warden uses, with Slack's documented limits. Objects are strict: a typo such
 * as `acessory` is a problem here (Slack would ignore or reject it; either way the card is wrong).
 * Counts (blocks per message, elements per block) and block_id uniqueness are checked in
 * validate-blocks.ts, so one long array still reports every element's problems.
 */

const plainText = (max: number) =>
  z.strictObject({
    type: z.literal('plain_text'),
    text: z.string().min(1).max(max),
    emoji: z.boolean().optional(),
  });

const mrkdwn = (max: number) =>
  z.strictObject({
    type: z.literal('mrkdwn'),
    text: z.string().min(1).max(max),
    verbatim: z.boolean().optional(),
  });

const textObject = (max: number) => z.discriminatedUnion('type', [plainText(max), mrkdwn(max)]);

const style = z.enum(['primary', 'danger']);
const blockId = z.string().min(1).max(255).optional();
const actionId = z.string().min(1).max(255).optional();

const confirmDialog = z.strictObject({
  title: plainText(100),
  text: textObject(300),
  confirm: plainText(30),
  deny: plainText(30),
  style: style.optional(),
});

export const buttonSchema = z.strictObject({
  type: z.literal('button'),
  text: plainText(75),
  action_id: actionId,
  value: z.string().max(2000).optional(),
  url: z.string().min(1).max(3000).optional(),
  style: style.optional(),
  confirm: confirmDialog.optional(),
  accessibility_label: z.string().min(1).max(75).optional(),
});

/** One-member unions, so another element type reads "unsupported type `overflow`", not a list of field errors. */
const buttonElement = z.discriminatedUnion('type', [buttonSchema]);

const plainTextInput = z.strictObject({
  type: z.literal('plain_text_input'),
  action_id: actionId,
  placeholder: plainText(150).optional(),
  initial_value: z.string().max(3000).optional(),
  multiline: z.boolean().optional(),
  min_length: z.number().int().min(0).max(3000).optional(),
  max_length: z.number().int().min(1).max(3000).optional(),
  focus_on_load: z.boolean().optional(),
});

const section = z.strictObject({
  type: z.literal('section'),
  block_id: blockId,
  text: textObject(3000).optional(),
  fields: z.array(textObject(2000)).optional(),
  accessory: buttonElement.optional(),
  expand: z.boolean().optional(),
});

const context = z.strictObject({
  type: z.literal('context'),
  block_id: blockId,
  elements: z.array(textObject(3000)),
});

const divider = z.strictObject({ type: z.literal('divider'), block_id: blockId });

const header = z.strictObject({ type: z.literal('header'), block_id: blockId, text: plainText(150) });

const actions = z.strictObject({
  type: z.literal('actions'),
  block_id: blockId,
  elements: z.array(buttonElement),
});

const input = z.strictObject({
  type: z.literal('input'),
  block_id: blockId,
  label: plainText(2000),
  element: z.discriminatedUnion('type', [plainTextInput]),
  hint: plainText(2000).optional(),
  optional: z.boolean().optional(),
  dispatch_action: z.boolean().optional(),
});

export const blockSchema = z.discriminatedUnion('type', [section, context, divider, header, actions, input]);

export const modalViewSchema = z.looseObject({
  type: z.literal('modal'),
  title: plainText(24),
  submit: plainText(24).optional(),
  close: plainText(24).optional(),
  private_metadata: z.string().max(3000).optional(),
  callback_id: z.string().max(255).optional(),
  external_id: z.string().max(255).optional(),
  clear_on_close: z.boolean().optional(),
  notify_on_close: z.boolean().optional(),
});

export const homeViewSchema = z.looseObject({
  type: z.literal('home'),
  private_metadata: z.string().max(3000).optional(),
  callback_id: z.string().max(255).optional(),
  external_id: z.string().max(255).optional(),
});
