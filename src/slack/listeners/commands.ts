import type { RespondFn, SlashCommand } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { readKillState } from '../../breakers/kill-switch.repository.ts';
import { checkDeadline } from '../../db/bounded-sql.ts';
import { outsideDeadline } from '../../db/deadline.ts';
import { mayInvoke } from '../../policy/approval-validity.ts';
import { helpMessage, usageMessage } from '../blocks/info.blocks.ts';
import { killMessage, resumeMessage } from '../blocks/kill.blocks.ts';
import { resetMessage } from '../blocks/reset.blocks.ts';
import { parseAgentCommand } from '../command.parse.ts';
import { groupsOfUser } from '../people.ts';
import type { SlackDeps } from '../slack.types.ts';
import { retrySlackCall } from '../slack-retry.ts';
import { confirmAnnounced, newAnnouncement } from './announce.ts';
import { answerAudit, answerCharter, answerReport, answerStatus, answerWhy } from './command-answers.ts';
import { NOT_DONE, replyForError } from './error-replies.ts';
import { keepFromSlack } from './keep.ts';
import { withinRequestDeadline } from './request-deadline.ts';

type Reply = { text: string; blocks?: unknown[] };

type CommandInput = {
  deps: SlackDeps;
  command: SlashCommand;
  client: WebClient;
  respond: RespondFn;
  requestKey?: string | undefined;
  /** When the request reached this instance (`performance.now()`); its deadline runs from there. */
  receivedAt?: number;
};

/**
 * `/agent …` after the ack: parse, check, act, answer. Every failure becomes a short message for the
 * person (ephemeral), never a stack trace; when the database is down nothing runs and they are told so.
 * The command takes effect within its deadline or not at all (see `request-deadline.ts`).
 */
export function handleAgentCommand(input: CommandInput): Promise<void> {
  return withinRequestDeadline({ receivedAt: input.receivedAt, what: 'your command' }, () =>
    agentCommand(input),
  );
}

async function agentCommand({ deps, command, client, respond, requestKey }: CommandInput): Promise<void> {
  const tell = (reply: Reply) =>
    respond({ response_type: 'ephemeral', text: reply.text, blocks: reply.blocks as never }).catch(
      (error: unknown) => deps.logger.warn({ err: error }, 'could not answer through response_url'),
    );
  // Whatever the person typed is redacted before it is parsed, so no answer can echo a secret back.
  const parsed = parseAgentCommand({
    text: deps.redactor.redactText(command.text),
    agents: deps.charters.list().map((c) => c.agent),
  });
  // What the person is told did not happen if Warden fails: a kill, resume or reset says nothing changed.
  const notDone =
    parsed.kind === 'kill' || parsed.kind === 'resume' || parsed.kind === 'reset'
      ? NOT_DONE[parsed.kind]
      : undefined;
  try {
    checkDeadline(); // a command that waited too long to be handled is not even claimed
    if (requestKey && !(await deps.claimRequest({ key: requestKey, kind: 'command' }))) {
      deps.logger.info({ requestKey }, 'duplicate slash command ignored (retry or replay)');
      return;
    }
    const user = command.user_id;
    const channel = command.channel_id;
    switch (parsed.kind) {
      case 'help':
        return void (await tell(helpMessage()));
      case 'invalid':
        return void (await tell(usageMessage({ problem: parsed.problem, command: parsed.command })));
      case 'status':
        return void (await tell(await answerStatus({ deps })));
      case 'audit':
        return void (await tell(await answerAudit({ deps, subject: parsed.subject })));
      case 'why':
        return void (await tell(await answerWhy({ deps, proposalId: parsed.proposalId })));
      case 'charter':
        return void (await tell(answerCharter({ deps, agent: parsed.agent })));
      case 'report':
        return void (await tell(await answerReport({ deps, agent: parsed.agent })));
      case 'keep':
        return void (await tell({
          text: await keepFromSlack({ deps, proposalId: parsed.proposalId, user }),
        }));
      case 'kill': {
        // The announcement commits with the kill; the sync worker posts it (and the cancelled cards).
        const announce = newAnnouncement({ channel });
        const report = await deps.killSwitch.engage({
          agent: parsed.agent,
          actor: user,
          reason: parsed.reason,
          announce,
        });
        void deps.sync.kick();
        const message = killMessage({ report, actor: user, reason: report.reason });
        const done = 'The kill switch is engaged';
        // Engaged: from here on only the announcement is awaited, not bound by the command's deadline.
        return void (await outsideDeadline(() =>
          confirmAnnounced({ deps, tell, id: announce.id, message, done }),
        ));
      }
      case 'resume': {
        const announce = newAnnouncement({ channel });
        const released = await deps.killSwitch.release({ agent: parsed.agent, actor: user, announce });
        void deps.sync.kick();
        const message = resumeMessage({
          scope: released.scope,
          actor: user,
          wasEngaged: released.wasEngaged,
        });
        const done = released.wasEngaged ? 'The kill switch is released' : 'Nothing changed';
        return void (await outsideDeadline(() =>
          confirmAnnounced({ deps, tell, id: announce.id, message, done }),
        ));
      }
      case 'reset': {
        const announce = newAnnouncement({ channel });
        const report = await deps.breakerReset.reset({
          agent: parsed.agent,
          breaker: parsed.breaker,
          actor: user,
          announce,
        });
        void deps.sync.kick();
        const message = resetMessage({ agent: report.agent, actor: user, reset: report.reset });
        return void (await outsideDeadline(() =>
          confirmAnnounced({ deps, tell, id: announce.id, message, done: 'The breakers are reset' }),
        ));
      }
      case 'triage':
        return void (await startTriage({
          deps,
          client,
          tell,
          user,
          channel,
          agent: parsed.agent,
          incidentId: parsed.incidentId,
        }));
    }
  } catch (error) {
    await tell(replyForError({ deps, error, notDone }));
  }
}

async function startTriage({
  deps,
  client,
  tell,
  user,
  channel,
  agent,
  incidentId,
}: {
  deps: SlackDeps;
  client: WebClient;
  tell: (reply: Reply) => Promise<unknown>;
  user: string;
  channel: string;
  agent: string;
  incidentId: string;
}): Promise<void> {
  const charter = deps.charters.get(agent);
  if (!charter) return void (await tell(usageMessage({ problem: `there is no agent called "${agent}"` })));
  const groups = await groupsOfUser({ client, charter, userId: user, logger: deps.logger });
  const allowed = mayInvoke({ charter, userId: user, channelId: channel, groups });
  if (!allowed.ok) return void (await tell({ text: `:no_entry: ${allowed.message}` }));
  const kill = await readKillState({ db: deps.db, agent });
  if (kill.engaged) {
    return void (await tell({
      text: `:octagonal_sign: The kill switch is engaged (${kill.scope}); nothing will run until an owner resumes.`,
    }));
  }
  // The run's thread hangs under this message, so it is posted (retried if Slack fails) before the run.
  const opening = `:mag: <@${user}> asked *${agent}* to triage *${incidentId}*; starting…`;
  const posted = await retrySlackCall({
    call: () => client.chat.postMessage({ channel, text: opening }),
  }).catch((error: unknown) => {
    deps.logger.warn({ err: error, channel }, 'could not post the run message; the run was not started');
    return null;
  });
  if (!posted?.ts) {
    return void (await tell({
      text: ':warning: Slack did not accept the run message in this channel, so the run was not started. Nothing ran; try again in a moment.',
    }));
  }
  const ts = posted.ts;
  const edit = (reply: Reply) =>
    retrySlackCall({
      call: () => client.chat.update({ channel, ts, text: reply.text, blocks: reply.blocks as never }),
    });
  try {
    await deps.runner.start({
      agent,
      requester: user,
      requesterGroups: groups,
      incidentId,
      channel,
      threadTs: ts,
    });
  } catch (error) {
    const reply = replyForError({ deps, error });
    return void (await edit(reply).catch(() => tell(reply)));
  }
  // The run is going: from here the sync worker keeps this message in line with the run in Postgres
  // (started, then how it ended), so a quick end is never overwritten by a late "working on" edit.
  void deps.sync.kick();
}
