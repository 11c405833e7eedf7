import { expect } from 'vitest';
import { z } from 'zod';

/**
 * The Block Kit subset Warden uses, with Slack's limits (docs.slack.dev Block Kit reference). Strict objects,
 * so a misspelt or unsupported field fails too. Our own check: nothing here depends on the Slack emulator.
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
const textObject = (max: number) => z.union([plainText(max), mrkdwn(max)]);
const blockId = z.string().min(1).max(255).optional();
const style = z.enum(['primary', 'danger']).optional();

const confirm = z.strictObject({
  title: plainText(100),
  text: textObject(300),
  confirm: plainText(30),
  deny: plainText(30),
  style,
});

export const buttonSchema = z.strictObject({
  type: z.literal('button'),
  text: plainText(75),
  action_id: z.string().min(1).max(255),
  value: z.string().min(1).max(2000).optional(),
  style,
  confirm: confirm.optional(),
});

const header = z.strictObject({ type: z.literal('header'), text: plainText(150), block_id: blockId });
const section = z
  .strictObject({
    type: z.literal('section'),
    text: textObject(3000).optional(),
    fields: z.array(textObject(2000)).min(1).max(10).optional(),
    /** A button beside the text (Warden's *Keep as eval case*). */
    accessory: buttonSchema.optional(),
    block_id: blockId,
  })
  .refine((s) => s.text !== undefined || s.fields !== undefined, 'a section needs text or fields');
const contextBlock = z.strictObject({
  type: z.literal('context'),
  elements: z.array(textObject(3000)).min(1).max(10),
  block_id: blockId,
});
const divider = z.strictObject({ type: z.literal('divider'), block_id: blockId });
const actionsBlock = z
  .strictObject({
    type: z.literal('actions'),
    elements: z.array(buttonSchema).min(1).max(25),
    block_id: blockId,
  })
  .refine(
    (a) => new Set(a.elements.map((e) => e.action_id)).size === a.elements.length,
    'action_ids must be unique',
  );
const input = z.strictObject({
  type: z.literal('input'),
  block_id: blockId,
  label: plainText(2000),
  optional: z.boolean().optional(),
  hint: plainText(2000).optional(),
  element: z.strictObject({
    type: z.literal('plain_text_input'),
    action_id: z.string().min(1).max(255),
    multiline: z.boolean().optional(),
    min_length: z.number().int().min(0).max(3000).optional(),
    max_length: z.number().int().min(1).max(3000).optional(),
    placeholder: plainText(150).optional(),
    initial_value: z.string().optional(),
  }),
});

const messageBlock = z.union([header, section, contextBlock, divider, actionsBlock]);

const uniqueBlockIds = (blocks: { block_id?: string | undefined }[]) => {
  const ids = blocks.map((b) => b.block_id).filter((id) => id !== undefined);
  return new Set(ids).size === ids.length;
};

/** A chat message: a short fallback `text` and at most 50 blocks. */
export const messageSchema = z.strictObject({
  text: z.string().min(1).max(4000),
  blocks: z.array(messageBlock).min(1).max(50).refine(uniqueBlockIds, 'block_ids must be unique'),
});

/** A modal view: title, submit and close at most 24 characters, at most 100 blocks. */
export const modalSchema = z.strictObject({
  type: z.literal('modal'),
  title: plainText(24),
  submit: plainText(24).optional(),
  close: plainText(24).optional(),
  callback_id: z.string().min(1).max(255),
  private_metadata: z.string().max(3000).optional(),
  blocks: z
    .array(z.union([header, section, contextBlock, divider, input]))
    .min(1)
    .max(100)
    .refine(uniqueBlockIds, 'block_ids must be unique'),
});

export type Message = z.infer<typeof messageSchema>;
export type AnyButton = z.infer<typeof buttonSchema>;

/** Parses a builder's output against the schema and fails the test with Zod's issues when it does not fit. */
export function expectValidMessage(message: unknown): Message {
  const parsed = messageSchema.safeParse(message);
  if (!parsed.success)
    expect.fail(`not a valid Slack message: ${JSON.stringify(parsed.error.issues, null, 2)}`);
  return parsed.data;
}

/** Every button in a message. */
export function buttonsOf(message: { blocks: unknown[] }): AnyButton[] {
  return (message.blocks as { type: string; elements?: AnyButton[] }[])
    .filter((b) => b.type === 'actions')
    .flatMap((b) => b.elements ?? []);
}

/** Every mrkdwn and plain text in the blocks, plus the fallback text. */
export function textsOf(message: { text: string; blocks: unknown[] }): string[] {
  const found: string[] = [message.text];
  const walk = (value: unknown) => {
    if (Array.isArray(value)) return value.forEach(walk);
    if (!value || typeof value !== 'object') return;
    const object = value as Record<string, unknown>;
    if ((object.type === 'mrkdwn' || object.type === 'plain_text') && typeof object.text === 'string')
      found.push(object.text);
    Object.values(object).forEach(walk);
  };
  walk(message.blocks);
  return found;
}

/** All of a message's words in one string, for `toContain` checks. */
export function allText(message: { text: string; blocks: unknown[] }): string {
  return textsOf(message).join('\n');
}

const ALLOWED_MARKUP = [
  /^<@[UW][A-Z0-9]{2,}>$/, // a mention we made from a real user id
  /^<!date\^\d+\^\{date_short_pretty\} \{time\}\|\d{4}-\d\d-\d\dT[\d:.]+Z>$/, // a localised date
  /^<https:\/\/[^\s<>|]+\|view>$/, // a permalink we made
];

/**
 * Fails when any text holds Slack markup we did not make: a broadcast (`<!channel>`), a mention of someone
 * not in `mentions`, a link, or a user group. Our escaping turns hostile `<` into `&lt;`, so none can appear.
 */
export function expectNoInjectedMarkup(
  message: { text: string; blocks: unknown[] },
  mentions: string[] = [],
) {
  for (const text of textsOf(message)) {
    for (const [markup] of text.matchAll(/<[^>]*>/g)) {
      const allowed = ALLOWED_MARKUP.some((pattern) => pattern.test(markup));
      expect(allowed, `unexpected markup ${markup} in: ${text.slice(0, 200)}`).toBe(true);
      const user = /^<@([A-Z0-9]+)>$/.exec(markup)?.[1];
      if (user) expect(mentions, `unexpected mention of ${user}`).toContain(user);
    }
    expect(text).not.toMatch(/<!(channel|here|everyone|subteam)/);
    expect(text).not.toMatch(/@(channel|here|everyone)\b/i);
  }
}
