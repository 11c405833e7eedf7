import type { WebClient } from '@slack/web-api';
import { z } from 'zod';
import { checkDeadline } from '../../db/bounded-sql.ts';
import { BREAKER_ACTIONS, readBreakerButton } from '../blocks/actions.ids.ts';
import { resetMessage } from '../blocks/reset.blocks.ts';
import type { SlackDeps } from '../slack.types.ts';
import { newAnnouncement } from './announce.ts';
import { NOT_DONE, replyForError } from './error-replies.ts';
import { publishHome } from './home.ts';
import { withinRequestDeadline } from './request-deadline.ts';

/** A *Reset breaker* click: who clicked (never a button value), where, and which agent and breaker. */
const resetClickSchema = z.object({
  user: z.object({ id: z.string().min(1) }),
  channel: z.object({ id: z.string() }).optional(),
  container: z.object({ channel_id: z.string().optional() }).optional(),
  actions: z
    .array(z.object({ action_id: z.literal(BREAKER_ACTIONS.reset), value: z.string().max(200) }))
    .length(1),
});

type BreakerActionInput = {
  deps: SlackDeps;
  body: unknown;
  client: WebClient;
  requestKey?: string | undefined;
  receivedAt?: number;
};

/**
 * *Reset breaker* on a breaker alert or in the App Home: the same use case as `/agent reset <agent>
 * <breaker>` (owners only, refusals audited); a reset from a channel is announced there, one from the App
 * Home is told to the owner, whose tab is published again. The clicker alone is told anything else. The
 * click takes effect within its deadline or not at all.
 */
export function handleBreakerAction(input: BreakerActionInput): Promise<void> {
  return withinRequestDeadline({ receivedAt: input.receivedAt, what: 'your click' }, () => resetClick(input));
}

async function resetClick({ deps, body, client, requestKey }: BreakerActionInput): Promise<void> {
  const parsed = resetClickSchema.safeParse(body);
  if (!parsed.success) {
    deps.logger.warn({ issues: parsed.error.issues.slice(0, 3) }, 'unreadable breaker click ignored');
    return;
  }
  const user = parsed.data.user.id;
  const channel = parsed.data.channel?.id ?? parsed.data.container?.channel_id;
  const tell = (text: string) =>
    channel
      ? client.chat.postEphemeral({ channel, user, text })
      : client.chat.postMessage({ channel: user, text });
  const target = readBreakerButton(parsed.data.actions[0]!.value);
  try {
    if (!target) return void (await tell('That button does not name a breaker Warden knows.'));
    checkDeadline();
    if (requestKey && !(await deps.claimRequest({ key: requestKey, kind: 'action' }))) return;
    // From a channel (the alert) the reset is announced there; from the App Home, the owner is told.
    const announce = channel ? newAnnouncement({ channel }) : undefined;
    const report = await deps.breakerReset.reset({
      ...target,
      actor: user,
      ...(announce ? { announce } : {}),
    });
    if (announce) return void deps.sync.kick();
    await tell(resetMessage({ agent: report.agent, actor: user, reset: report.reset }).text);
    // The tab listed the breaker with its button: show it closed now, as the owner left it.
    await publishHome({ deps, client, user });
  } catch (error) {
    await tell(replyForError({ deps, error, notDone: NOT_DONE.reset }).text).catch(() => {});
  }
}
