import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { AGENT_COMMANDS } from '../../../src/slack/blocks/info.blocks.ts';

/** The manifest fields Warden uses, with the limits of Slack's app manifest reference. Strict: no stray keys. */
const httpsUrl = z.string().regex(/^https:\/\/[^\s]+$/, 'must be an https URL');
const manifestSchema = z.strictObject({
  _metadata: z.strictObject({
    major_version: z.literal(1),
    minor_version: z.number().int().min(0).optional(),
  }),
  display_information: z.strictObject({
    name: z.string().min(1).max(35),
    description: z.string().min(1).max(140).optional(),
    long_description: z.string().min(174).max(4000).optional(),
    background_color: z
      .string()
      .regex(/^#([0-9a-f]{3}|[0-9a-f]{6})$/i)
      .optional(),
  }),
  features: z.strictObject({
    app_home: z.strictObject({
      home_tab_enabled: z.boolean(),
      messages_tab_enabled: z.boolean(),
      messages_tab_read_only_enabled: z.boolean().optional(),
    }),
    bot_user: z.strictObject({
      display_name: z.string().regex(/^[a-z0-9._-]{1,80}$/),
      always_online: z.boolean().optional(),
    }),
    slash_commands: z
      .array(
        z.strictObject({
          command: z.string().regex(/^\/[a-z0-9_-]{1,31}$/),
          url: httpsUrl,
          description: z.string().min(1).max(2000),
          usage_hint: z.string().max(1000).optional(),
          should_escape: z.boolean(),
        }),
      )
      .min(1)
      .max(50),
  }),
  oauth_config: z.strictObject({
    scopes: z.strictObject({ bot: z.array(z.string()).min(1) }),
  }),
  settings: z.strictObject({
    event_subscriptions: z.strictObject({
      request_url: httpsUrl,
      bot_events: z.array(z.string()).min(1).max(100),
    }),
    interactivity: z.strictObject({ is_enabled: z.boolean(), request_url: httpsUrl }),
    org_deploy_enabled: z.boolean(),
    socket_mode_enabled: z.boolean(),
    token_rotation_enabled: z.boolean(),
  }),
});

/** The bot scopes each Web API method Warden may call needs (null: none beyond the app's own token). */
const METHOD_SCOPES: Record<string, string | readonly string[] | null> = {
  'chat.postMessage': 'chat:write',
  'chat.update': 'chat:write',
  'chat.postEphemeral': 'chat:write',
  'chat.getPermalink': null,
  'usergroups.users.list': 'usergroups:read',
  'users.info': 'users:read',
  // Slack grants users:read.email only together with users:read.
  'users.lookupByEmail': ['users:read', 'users:read.email'],
  'conversations.info': 'channels:read',
  'views.open': null,
  'views.publish': null,
  'auth.test': null,
};

/** The Slack Web API methods Warden's own code calls (`client.chat.postMessage(` …), read from the sources (the agents talk to OpenAI, not Slack). */
function methodsCalledBySource(): string[] {
  const root = fileURLToPath(new URL('../../../src', import.meta.url));
  const files = readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.startsWith('dev') && !f.startsWith('agents'))
    .map((f) => readFileSync(join(root, f), 'utf8'));
  const called = new Set<string>();
  for (const text of files) {
    for (const m of text.matchAll(
      /client\.(chat|users|usergroups|conversations|views|auth)\.(\w+)(?:\.(\w+))?\(/g,
    )) {
      called.add([m[1], m[2], m[3]].filter(Boolean).join('.'));
    }
  }
  return [...called].sort();
}

/** `commands` for the slash command, plus exactly the scopes the called methods need. */
const ALLOWED_BOT_SCOPES = [
  'commands',
  ...new Set(
    methodsCalledBySource()
      .flatMap((method) => {
        if (!(method in METHOD_SCOPES))
          throw new Error(`add ${method} to METHOD_SCOPES with the scope it needs`);
        return METHOD_SCOPES[method] ?? [];
      })
      .filter((scope): scope is string => scope !== null),
  ),
];

describe('manifest.yml', () => {
  const manifest = manifestSchema.parse(
    parse(readFileSync(new URL('../../../manifest.yml', import.meta.url), 'utf8')),
  );

  it('sends the command, interactivity and events to POST /slack/events', () => {
    const [agent] = manifest.features.slash_commands;
    expect(agent!.command).toBe('/agent');
    expect(agent!.should_escape).toBe(false);
    for (const url of [
      agent!.url,
      manifest.settings.interactivity.request_url,
      manifest.settings.event_subscriptions.request_url,
    ])
      expect(new URL(url).pathname).toBe('/slack/events');
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.settings.event_subscriptions.bot_events).toEqual(['app_home_opened']);
  });

  it('asks for exactly the bot scopes the code uses', () => {
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual([...ALLOWED_BOT_SCOPES].sort());
  });

  it('enables the Home tab only, and runs over HTTP without org deploy or token rotation', () => {
    expect(manifest.features.app_home).toMatchObject({ home_tab_enabled: true, messages_tab_enabled: false });
    expect(manifest.settings).toMatchObject({
      org_deploy_enabled: false,
      socket_mode_enabled: false,
      token_rotation_enabled: false,
    });
  });

  it('hints at every /agent command', () => {
    const hint = manifest.features.slash_commands[0]!.usage_hint ?? '';
    for (const { name } of AGENT_COMMANDS) expect(hint).toContain(name);
  });
});
