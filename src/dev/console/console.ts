import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Services } from '../../app/services.ts';
import type {
  EmulatorChannel,
  EmulatorUser,
  EmulatorUsergroup,
  SlackEmulator,
} from '../slack-emulator/index.ts';
import { createConsoleActions } from './console.actions.ts';
import { queryOf, refuseForeignRequest, sendJson, sendText } from './console.http.ts';
import { readControls, readRunPanel } from './console.panel.ts';
import { createDirectory, describePeople } from './console.people.ts';
import { createChangeStream } from './console.stream.ts';
import { type RenderContext, renderChannel, renderModal, renderThread } from './render/messages.ts';
import { renderPage } from './render/page.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

const TS = /^\d{1,12}\.\d{1,9}$/;
/** The page's static files: read once at start-up, served by exact name only. */
const ASSETS: Record<string, string> = {
  'console.js': 'text/javascript',
  'dom.js': 'text/javascript',
  'dates.js': 'text/javascript',
  'panel.js': 'text/javascript',
  'console.css': 'text/css',
  'channel.css': 'text/css',
  'blocks.css': 'text/css',
  'panes.css': 'text/css',
};

function assetRoutes(wrap: (handler: Handler) => Handler): Record<string, Handler> {
  const routes: Record<string, Handler> = {};
  for (const [name, type] of Object.entries(ASSETS)) {
    const body = readFileSync(new URL(`./assets/${name}`, import.meta.url), 'utf8');
    routes[`GET /console/assets/${name}`] = wrap((_req, res) => sendText(res, 200, type, body));
  }
  return routes;
}

/**
 * The local web console: a Slack-like page over the emulator's workspace. Everything it shows comes from
 * the emulator's store (what Warden posted) and from Postgres (audit trail, kill switch, breakers);
 * everything it does goes to Warden as the signed request Slack would send.
 */
export function createConsole({
  services,
  emulator,
  users,
  usergroups,
  channels,
}: {
  services: Pick<Services, 'db' | 'charters' | 'clock'>;
  emulator: SlackEmulator;
  users: EmulatorUser[];
  usergroups: EmulatorUsergroup[];
  channels: EmulatorChannel[];
}) {
  const people = describePeople({ users, charters: services.charters.list() });
  const botUserId = emulator.workspace.botUserId;
  const directory = createDirectory({ people, channels, usergroups, botUserId });
  const ctx: RenderContext = {
    directory,
    botUserId,
    displayName: (id) => people.find((p) => p.id === id)?.realName ?? id,
  };
  const known = { users: new Set(users.map((u) => u.id)), channels: new Set(channels.map((c) => c.id)) };
  const actions = createConsoleActions({ emulator, known });
  const stream = createChangeStream({ emulator });

  /** The page's selection from its query, falling back to #incidents and the on-call engineer. */
  const selection = (req: IncomingMessage) => {
    const query = queryOf(req);
    const channel = known.channels.has(query.get('channel') ?? '') ? query.get('channel')! : channels[0]!.id;
    const as = known.users.has(query.get('as') ?? '') ? query.get('as')! : users[0]!.id;
    const thread = query.get('thread') ?? '';
    return { channel, as, threadTs: TS.test(thread) ? thread : null };
  };

  const channelName = (id: string) => channels.find((c) => c.id === id)?.name ?? id;
  /** The HTML of what the person sees: the channel, the open thread and their open modal. */
  const render = ({ channel, as, threadTs }: { channel: string; as: string; threadTs: string | null }) => {
    const ephemerals = emulator.ephemerals(as).filter((e) => e.channel === channel);
    const openView = emulator.views(as).at(-1);
    return {
      channelHtml: renderChannel({
        ctx,
        channelName: channelName(channel),
        messages: emulator.messages(channel),
        ephemerals,
      }),
      threadHtml: threadTs
        ? renderThread({ ctx, thread: emulator.thread(channel, threadTs), ephemerals })
        : null,
      modalHtml: openView ? renderModal({ ctx, view: openView }) : null,
      modalId: openView?.id ?? null,
    };
  };

  const local =
    (handler: Handler): Handler =>
    (req, res) => {
      if (refuseForeignRequest(req, res)) return;
      return handler(req, res);
    };

  const routes: Record<string, Handler> = {
    'GET /': local((req, res) => {
      const state = selection(req);
      const { channelHtml, threadHtml } = render(state);
      sendText(
        res,
        200,
        'text/html',
        renderPage({ people, channels, state: { ...state, channelHtml, threadHtml } }),
      );
    }),
    ...assetRoutes(local),
    'GET /console/api/view': local((req, res) => sendJson(res, 200, render(selection(req)))),
    'GET /console/api/run': local(async (req, res) => {
      const { channel, threadTs } = selection(req);
      sendJson(res, 200, await readRunPanel({ db: services.db, channel, ...(threadTs ? { threadTs } : {}) }));
    }),
    'GET /console/api/controls': local(async (_req, res) => {
      sendJson(
        res,
        200,
        await readControls({
          db: services.db,
          charters: services.charters.list(),
          now: services.clock.now(),
        }),
      );
    }),
    'GET /console/api/stream': local(stream.handler),
    'POST /console/api/command': local(actions.command),
    'POST /console/api/click': local(actions.click),
    'POST /console/api/submit': local(actions.submit),
  };

  return { routes, people, closeStreams: stream.closeAll };
}

export type WardenConsole = ReturnType<typeof createConsole>;
