import type { WebClient } from '@slack/web-api';
import type { Db } from '../../db/client.ts';
import { listRunProposals } from '../../proposals/proposals.repository.ts';
import type { Clock } from '../../shared/clock.ts';
import type { Logger } from '../../shared/logger.ts';
import { runHeaderMessage } from '../blocks/run-header.blocks.ts';
import { findRunHeadersToSync, markRunHeaderFailed, recordRunHeader } from './run-headers.repository.ts';

type RunHeaderSyncDeps = { db: Db; client: WebClient; clock: Clock; logger: Logger };

/**
 * Updates each run's top-level channel message that no longer shows its run (started, ended, what waits
 * for whom), from the database alone, as proposal cards are. An update is idempotent, so two instances
 * doing it at once do no harm; a failed one waits for its retry time (backing off) while the run is recent.
 */
export async function syncRunHeaders(deps: RunHeaderSyncDeps): Promise<void> {
  const due = await findRunHeadersToSync({ db: deps.db, limit: 20, now: deps.clock.now() });
  for (const { run, key } of due) {
    try {
      const proposals = await listRunProposals({ db: deps.db, runId: run.id });
      const message = runHeaderMessage({ run, proposals });
      await deps.client.chat.update({
        channel: run.slackChannel!,
        ts: run.slackThreadTs!,
        text: message.text,
        blocks: message.blocks,
      });
      await recordRunHeader({ db: deps.db, runId: run.id, key });
    } catch (error) {
      deps.logger.warn({ runId: run.id, err: error }, 'run message update failed; will retry');
      await markRunHeaderFailed({ db: deps.db, runId: run.id, now: deps.clock.now() }).catch(() => {});
    }
  }
}
