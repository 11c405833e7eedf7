import type { WebClient } from '@slack/web-api';
import type { Db } from '../../db/client.ts';
import { listApprovals } from '../../proposals/proposals.repository.ts';
import type { Clock } from '../../shared/clock.ts';
import type { Logger } from '../../shared/logger.ts';
import type { ToolRegistry } from '../../tools/registry.ts';
import { proposalCard } from '../blocks/approval.blocks.ts';
import {
  cardKey,
  claimCardPost,
  findCardsToSync,
  markCardFailed,
  type ProposalCardRow,
  recordCard,
} from './cards.repository.ts';

type CardSyncDeps = { db: Db; client: WebClient; clock: Clock; logger: Logger; registry: ToolRegistry };

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
  const message = proposalCard({
    proposal,
    tool: info ? { kind: info.kind, risk: info.risk, reversible: info.reversible } : null,
    approvals,
    now: deps.clock.now(),
  });
  if (proposal.slackTs && proposal.slackChannel) {
    await deps.client.chat
      .update({
        channel: proposal.slackChannel,
        ts: proposal.slackTs,
        text: message.text,
        blocks: message.blocks,
      })
      .catch(async (error: unknown) => {
        await markCardFailed({
          db: deps.db,
          proposalId: proposal.id,
          posting: false,
          now: deps.clock.now(),
        });
        throw error;
      });
    await recordCard({
      db: deps.db,
      proposalId: proposal.id,
      channel: proposal.slackChannel,
      ts: proposal.slackTs,
      key,
    });
    return;
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
