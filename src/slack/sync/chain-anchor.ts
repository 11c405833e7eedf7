import type { WebClient } from '@slack/web-api';
import { auditHead, listAuditTrail } from '../../audit/audit.repository.ts';
import type { AuditEvent } from '../../audit/audit.types.ts';
import type { Db } from '../../db/client.ts';
import { FINAL_STATES, listRunProposals, type ProposalState } from '../../proposals/proposals.repository.ts';
import { getRun } from '../../runs/runs.repository.ts';
import { chainAnchorMessage } from '../blocks/audit.blocks.ts';
import { SETTLING_ACTIONS } from '../blocks/audit.story.parts.ts';

/** Later events of a run read to find out whether this one is its last word (a run has a few, not pages). */
const LATER_EVENTS_READ = 200;

/**
 * Why the chain head should be anchored once this event is in its thread, or null: the run `finished`, or
 * the run had finished and this event `settled its last action` (nothing of the run is pending, approved or
 * running, and no later event of the run finishes or settles anything, so exactly one event anchors it).
 * Without the second, the approvals and the action they allowed stay unanchored until the next run ends.
 */
export async function anchorReason({ db, event }: { db: Db; event: AuditEvent }): Promise<string | null> {
  if (!event.runId) return null;
  if (event.action === 'run.finished') return 'finished';
  if (!SETTLING_ACTIONS.has(event.action)) return null;
  const run = await getRun({ db, id: event.runId });
  if (!run || run.state === 'running') return null;
  const proposals = await listRunProposals({ db, runId: run.id });
  if (proposals.some((p) => !FINAL_STATES.includes(p.state as ProposalState))) return null;
  const later = await listAuditTrail({ db, runId: run.id, afterSeq: event.seq, limit: LATER_EVENTS_READ });
  if (later.some((e) => e.action === 'run.finished' || SETTLING_ACTIONS.has(e.action))) return null;
  return 'settled its last action';
}

/** Posts the audit chain head as it is now (at or after `event`) to the audit channel. */
export async function anchorChainHead({
  db,
  client,
  auditChannel,
  event,
  why,
}: {
  db: Db;
  client: WebClient;
  auditChannel: string;
  event: AuditEvent;
  why: string;
}): Promise<void> {
  const head = await auditHead({ db });
  if (!head || !event.runId) return;
  const message = chainAnchorMessage({ head, runId: event.runId, why });
  await client.chat.postMessage({ channel: auditChannel, text: message.text, blocks: message.blocks });
}
