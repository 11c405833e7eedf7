import type { WebClient } from '@slack/web-api';
import type { Db } from '../../db/client.ts';
import { listApprovals } from '../../proposals/proposals.repository.ts';
import type { Clock } from '../../shared/clock.ts';
import type { Logger } from '../../shared/logger.ts';
import type { ToolRegistry } from '../../tools/registry.ts';
import { proposalCard } from '../blocks/approval.blocks.ts';
import type { OncallStatus } from '../oncall.directory.ts';
import {
  cardKey,
  claimCardPost,
  findCardsToSync,
  forgetCard,
  markCardFailed,
  type ProposalCardRow,
  recordCard,
} from './cards.repository.ts';

type CardSyncDeps = {
  db: Db;
  client: WebClient;
  clock: Clock;
  logger: Logger;
  registry: ToolRegistry;
  /** The on-call groups a pending proposal's approval rule names, resolved now (named on its card). */
  oncallFor?: (input: { agent: string; from: readonly string[] }) => Promise<OncallStatus[]>;
};

/**
 * Posts the card of each proposal that has none yet and updates each card whose proposal moved on (state
 * or approval count), from the database alone; a failed post or update waits for its retry time.
 */
export async function syncCards(deps: CardSyncDeps): Promise<void> {
  const due = await findCardsToSync({ db: deps.db, limit: 20, now: deps.clock.now() });
  for (const proposal of due) {
    try {
      await syncCard({ deps, proposal });
    } catch (error) {
      deps.logger.warn({ proposalId: proposal.id, err: error }, 'card update failed; will retry');
    }
  }
}

async function syncCard({
  deps,
  proposal,
}: {
  deps: CardSyncDeps;
  proposal: ProposalCardRow;
}): Promise<void> {
  const approvals = await listApprovals({ db: deps.db, proposalId: proposal.id });
  const key = cardKey({
    state: proposal.state,
    approvalCount: approvals.filter((a) => a.decision === 'approve').length,
  });
  const info = deps.registry.get(proposal.tool);
  const from = (proposal.approvalSpec as { from?: string[] } | null)?.from ?? [];
  const oncall =
    deps.oncallFor && proposal.state === 'pending' && from.length > 0
      ? await deps.oncallFor({ agent: proposal.agent, from })
      : [];
  const message = proposalCard({
    proposal,
    tool: info ? { kind: info.kind, risk: info.risk, reversible: info.reversible } : null,
    approvals,
    now: deps.clock.now(),
    oncall,
  });
  if (proposal.slackTs && proposal.slackChannel) {
    const updated = await updateCard({ deps, proposal, message, channel: proposal.slackChannel });
    if (updated) {
      await recordCard({
        db: deps.db,
        proposalId: proposal.id,
        channel: proposal.slackChannel,
        ts: proposal.slackTs,
        key,
      });
      return;
    }
    // The card is gone from Slack: forgotten, so it is posted again below, buttons and all.
    await forgetCard({ db: deps.db, proposalId: proposal.id });
    deps.logger.warn(
      { proposalId: proposal.id, channel: proposal.slackChannel, ts: proposal.slackTs },
      'the proposal card is gone from Slack; posting it again',
    );
  }
  if (!proposal.runChannel || !(await claimCardPost({ db: deps.db, proposalId: proposal.id }))) return;
  try {
    const posted = await deps.client.chat.postMessage({
      channel: proposal.runChannel,
      text: message.text,
      blocks: message.blocks,
    });
    await recordCard({
      db: deps.db,
      proposalId: proposal.id,
      channel: proposal.runChannel,
      ts: posted.ts!,
      key,
    });
  } catch (error) {
    await markCardFailed({ db: deps.db, proposalId: proposal.id, posting: true, now: deps.clock.now() });
    throw error;
  }
}

/** Slack's answers to chat.update that mean the card no longer exists, so updating it cannot succeed. */
const CARD_GONE = new Set(['message_not_found', 'channel_not_found']);

/** The `error` of a Slack platform error (`{ ok: false, error }`), if that is what `error` is. */
function slackErrorCode(error: unknown): string | undefined {
  const data = (error as { data?: { error?: unknown } } | null)?.data;
  return typeof data?.error === 'string' ? data.error : undefined;
}

/**
 * Updates a posted card; false when Slack says it is gone. Any other failure waits for the card's retry
 * time and is thrown.
 */
async function updateCard({
  deps,
  proposal,
  message,
  channel,
}: {
  deps: CardSyncDeps;
  proposal: ProposalCardRow;
  message: ReturnType<typeof proposalCard>;
  channel: string;
}): Promise<boolean> {
  try {
    await deps.client.chat.update({
      channel,
      ts: proposal.slackTs!,
      text: message.text,
      blocks: message.blocks,
    });
    return true;
  } catch (error) {
    if (CARD_GONE.has(slackErrorCode(error) ?? '')) return false;
    await markCardFailed({ db: deps.db, proposalId: proposal.id, posting: false, now: deps.clock.now() });
    throw error;
  }
}
