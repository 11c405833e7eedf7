import type { WebClient } from '@slack/web-api';
import { z } from 'zod';
import { recordShadowFeedback } from '../../agents/feedback.ts';
import { checkDeadline } from '../../db/bounded-sql.ts';
import type { Charter } from '../../policy/charter.schemas.ts';
import { getProposal, type ProposalRow } from '../../proposals/proposals.repository.ts';
import { PROPOSAL_ACTIONS, reasonModal } from '../blocks/approval.blocks.ts';
import { withSlackDates } from '../blocks/dates.ts';
import { type OncallStatus, oncallMembership } from '../oncall.directory.ts';
import { groupsOfUser } from '../people.ts';
import type { SlackDeps } from '../slack.types.ts';
import { NOT_DONE, replyForError } from './error-replies.ts';
import { keepFromSlack } from './keep.ts';
import { withinRequestDeadline } from './request-deadline.ts';

const proposalId = z.string().regex(/^prp_[0-9a-z]{6,32}$/);

/** The parts of a `block_actions` payload Warden reads. The approver is `user.id`, never a button value. */
export const blockActionSchema = z.object({
  user: z.object({ id: z.string().min(1) }),
  trigger_id: z.string().optional(),
  channel: z.object({ id: z.string() }).optional(),
  container: z.object({ channel_id: z.string().optional(), message_ts: z.string().optional() }).optional(),
  actions: z.array(z.object({ action_id: z.string(), value: proposalId })).length(1),
});

/** The reject-reason modal's submission. */
export const rejectReasonSchema = z.object({
  user: z.object({ id: z.string().min(1) }),
  view: z.object({
    private_metadata: proposalId,
    state: z.object({
      values: z.record(z.string(), z.record(z.string(), z.object({ value: z.string().nullish() }))),
    }),
  }),
});

type Told = { client: WebClient; user: string; channel: string | undefined };

/**
 * Tells one person something only they see; falls back to a DM when the channel is unknown. Times in the
 * text (a breaker's cool-down, an approval window) show in the reader's time zone.
 */
async function tellPrivately({ client, user, channel }: Told, message: string): Promise<void> {
  const text = withSlackDates(message);
  if (channel) await client.chat.postEphemeral({ channel, user, text });
  else await client.chat.postMessage({ channel: user, text });
}

type ActionInput = {
  deps: SlackDeps;
  body: unknown;
  client: WebClient;
  requestKey?: string | undefined;
  /** When the request reached this instance (`performance.now()`); its deadline runs from there. */
  receivedAt?: number;
};

/**
 * Approve / Reject / Agree / Disagree after the ack. Every click is checked against the charter by the
 * approvals use case; a refusal is told to the clicker alone, with its reason. A click takes effect within
 * its deadline or not at all (see `request-deadline.ts`).
 */
export function handleProposalAction(input: ActionInput): Promise<void> {
  return withinRequestDeadline({ receivedAt: input.receivedAt, what: 'your click' }, () =>
    proposalAction(input),
  );
}

async function proposalAction({ deps, body, client, requestKey }: ActionInput): Promise<void> {
  const parsed = blockActionSchema.safeParse(body);
  if (!parsed.success) {
    deps.logger.warn({ issues: parsed.error.issues.slice(0, 3) }, 'unreadable block_actions payload ignored');
    return;
  }
  const { user, actions, trigger_id: triggerId } = parsed.data;
  const action = actions[0]!;
  const channel = parsed.data.channel?.id ?? parsed.data.container?.channel_id;
  const told: Told = { client, user: user.id, channel };
  try {
    checkDeadline(); // a click that waited too long to be handled is not even claimed
    if (requestKey && !(await deps.claimRequest({ key: requestKey, kind: 'action' }))) {
      deps.logger.info({ requestKey }, 'duplicate click ignored (retry or replay)');
      return;
    }
    const proposal = await getProposal({ db: deps.db, id: action.value });
    const charter = proposal ? deps.charters.get(proposal.agent) : null;
    if (!proposal || !charter)
      return void (await tellPrivately(told, 'That proposal is not known to Warden.'));
    if (action.action_id === PROPOSAL_ACTIONS.agree || action.action_id === PROPOSAL_ACTIONS.disagree) {
      const feedback = await recordShadowFeedback({
        db: deps.db,
        audit: deps.audit,
        clock: deps.clock,
        proposalId: proposal.id,
        user: user.id,
        verdict: action.action_id === PROPOSAL_ACTIONS.agree ? 'agree' : 'disagree',
      });
      return void (await tellPrivately(told, feedback.message));
    }
    if (action.action_id === PROPOSAL_ACTIONS.keep)
      return void (await tellPrivately(
        told,
        await keepFromSlack({ deps, proposalId: proposal.id, user: user.id }),
      ));
    if (action.action_id === PROPOSAL_ACTIONS.undo) {
      // One undo per proposal, however many people click at once: the first click claims it.
      if (!(await deps.claimRequest({ key: `undo:${proposal.id}`, kind: 'undo' })))
        return void (await tellPrivately(
          told,
          `:no_entry: Undo of ${proposal.id} was already asked for; its card is in the thread.`,
        ));
      const undone = await deps.approvals.undo({ proposalId: proposal.id, actor: user.id });
      void deps.sync.kick();
      return void (await tellPrivately(told, undoReply(undone)));
    }
    if (action.action_id === PROPOSAL_ACTIONS.reject && triggerId) {
      // Ask for an optional reason; the rejection itself happens on submit, checked like any click.
      const opened = await client.views
        .open({ trigger_id: triggerId, view: reasonModal({ proposalId: proposal.id }) })
        .then(() => true)
        .catch(() => false);
      if (opened) return;
    }
    const decision = action.action_id === PROPOSAL_ACTIONS.approve ? 'approve' : 'reject';
    await decide({ deps, told, proposal, charter, decision, reason: undefined });
  } catch (error) {
    await tellPrivately(told, replyForError({ deps, error, notDone: NOT_DONE.click }).text).catch(() => {});
  }
}

/** What the person who clicked *Undo* is told: the new proposal and what the guard made of it. */
function undoReply(undone: Awaited<ReturnType<SlackDeps['approvals']['undo']>>): string {
  if (undone.outcome === 'refused') return `:no_entry: ${undone.message}`;
  const { proposal, decision } = undone.proposed;
  const what = `${proposal.tool} in ${proposal.environment} (${proposal.id})`;
  if (decision.decision === 'deny') return `:no_entry: The undo, ${what}, was blocked: ${decision.message}`;
  if (decision.decision === 'needs_approval')
    return `:hourglass_flowing_sand: Proposed the undo, ${what}; it waits for approval in the run's thread.`;
  return `:white_check_mark: The undo, ${what}, was allowed and ran; its card in the thread has the result.`;
}

/** The reject-reason modal was submitted: reject with that reason (checked like a click). */
export function handleRejectReason(input: ActionInput): Promise<void> {
  return withinRequestDeadline({ receivedAt: input.receivedAt, what: 'your rejection' }, () =>
    rejectReason(input),
  );
}

async function rejectReason({ deps, body, client }: ActionInput): Promise<void> {
  const parsed = rejectReasonSchema.safeParse(body);
  if (!parsed.success) return;
  const { user, view } = parsed.data;
  const reason = view.state.values.reason?.reason?.value?.trim().slice(0, 500) || undefined;
  const told: Told = { client, user: user.id, channel: undefined };
  try {
    const proposal = await getProposal({ db: deps.db, id: view.private_metadata });
    told.channel = proposal?.slackChannel ?? undefined;
    const charter = proposal ? deps.charters.get(proposal.agent) : null;
    if (!proposal || !charter)
      return void (await tellPrivately(told, 'That proposal is not known to Warden.'));
    await decide({ deps, told, proposal, charter, decision: 'reject', reason });
  } catch (error) {
    await tellPrivately(told, replyForError({ deps, error, notDone: NOT_DONE.click }).text).catch(() => {});
  }
}

async function decide({
  deps,
  told,
  proposal,
  charter,
  decision,
  reason,
}: {
  deps: SlackDeps;
  told: Told;
  /** As read when the click arrived; the use case locks and re-reads the row before anything counts. */
  proposal: ProposalRow;
  charter: Charter;
  decision: 'approve' | 'reject';
  reason: string | undefined;
}): Promise<void> {
  // On-call groups the rule names are resolved now (PagerDuty → Slack); unresolved ones count as none.
  const required = (proposal.approvalSpec as { from?: string[] } | null)?.from ?? [];
  const oncall: OncallStatus[] = deps.oncall ? await deps.oncall.statusOf({ charter, groups: required }) : [];
  const { members, unresolved } = oncallMembership(oncall);
  const groups = await groupsOfUser({
    client: told.client,
    charter,
    userId: told.user,
    logger: deps.logger,
    oncallMembers: members,
  });
  let outcome: Awaited<ReturnType<SlackDeps['approvals']['decideOnProposal']>>;
  try {
    outcome = await deps.approvals.decideOnProposal({
      proposalId: proposal.id,
      approver: { userId: told.user, groups, unresolved },
      decision,
      reason,
    });
  } catch (error) {
    // From here on a decision may have been written (an approval commits before its execution starts).
    void deps.sync.kick();
    const notDone = decision === 'approve' ? NOT_DONE.approval : NOT_DONE.rejection;
    return void (await tellPrivately(told, replyForError({ deps, error, notDone }).text).catch(() => {}));
  }
  void deps.sync.kick();
  if (outcome.outcome === 'refused') {
    const onCallNow = outcome.reasonCode === 'approval.not_in_group' ? oncallNowText(oncall) : '';
    await tellPrivately(told, `:no_entry: ${outcome.message}${onCallNow}`);
  } else if (outcome.outcome === 'recorded') {
    await tellPrivately(told, outcome.message);
  }
}

/** Who is on call now for the rule's on-call groups, for someone refused as not in a group. */
function oncallNowText(statuses: readonly OncallStatus[]): string {
  const known = statuses.filter((s) => s.ok);
  return known
    .map((s) => ` On call now for ${s.group}: ${s.people.map((p) => `<@${p.userId}>`).join(', ')}.`)
    .join('');
}
