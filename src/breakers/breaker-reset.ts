import type { AuditLog } from '../audit/audit.repository.ts';
import type { Db } from '../db/client.ts';
import type { CharterSet } from '../policy/charter-set.ts';
import type { Clock } from '../shared/clock.ts';
import { wardenError } from '../shared/errors.ts';
import type { BreakerState } from './breaker.state.ts';
import { listBreakerStates, resetBreaker } from './breakers.repository.ts';
import { ownersFor } from './kill-switch.ts';

/** Where the reset is announced (the sync worker posts it from the committed audit event). */
export type ResetAnnouncement = { channel: string; id: string };

export type ResetReport = {
  agent: string;
  /** Each row closed, with the state it had; empty when nothing was tracked. */
  reset: { breaker: string; key: string; previousState: BreakerState }[];
};

/**
 * `/agent reset <agent> [breaker]`: an owner of the agent closes its breakers (one, or all), forgetting
 * what they counted. Anyone else is refused and the attempt audited. The reset is one transaction with its
 * audit event (`breaker.reset`), which carries the channel announcement.
 */
export function createBreakerReset(deps: { db: Db; audit: AuditLog; charters: CharterSet; clock: Clock }) {
  async function reset({
    agent,
    breaker,
    actor,
    announce,
  }: {
    agent: string;
    breaker?: string;
    actor: string;
    announce?: ResetAnnouncement;
  }): Promise<ResetReport> {
    const charter = deps.charters.get(agent);
    if (!charter) {
      throw wardenError({
        code: 'breakers.agent_unknown',
        message: `No charter is loaded for agent ${agent}.`,
      });
    }
    const now = deps.clock.now();
    const tracked = await listBreakerStates({ db: deps.db, agent, now });
    const names = [...new Set([...charter.breakers.map((b) => b.name), ...tracked.map((t) => t.breaker)])];
    if (breaker !== undefined && !names.includes(breaker)) {
      throw wardenError({
        code: 'breakers.unknown',
        message: `${agent} has no breaker called "${breaker.slice(0, 60)}" (its breakers: ${names.join(', ') || 'none'}).`,
      });
    }
    if (!ownersFor({ charters: deps.charters, agent }).has(actor)) {
      await deps.audit.appendNow(deps.db, {
        actor,
        action: 'breaker.reset_refused',
        agent,
        decision: 'deny',
        reasonCode: 'breakers.not_owner',
        details: { breaker: breaker ?? null },
      });
      throw wardenError({
        code: 'breakers.not_owner',
        message: `Only an owner of ${agent} (business, technical or security) may reset its breakers.`,
      });
    }
    return deps.db.transaction(async (tx) => {
      const done: ResetReport['reset'] = [];
      for (const name of breaker === undefined ? names : [breaker]) {
        const { reset: rows } = await resetBreaker({ tx, agent, breaker: name, now });
        done.push(...rows.map((row) => ({ breaker: name, ...row })));
      }
      await deps.audit.append(tx, {
        actor,
        action: 'breaker.reset',
        agent,
        decision: 'allow',
        reasonCode: 'breakers.reset',
        charterHash: charter.hash,
        details: { breaker: breaker ?? null, reset: done, ...(announce ? { announce } : {}) },
      });
      return { agent, reset: done };
    });
  }

  return { reset };
}

export type BreakerReset = ReturnType<typeof createBreakerReset>;
