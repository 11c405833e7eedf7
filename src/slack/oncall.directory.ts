import type { WebClient } from '@slack/web-api';
import type { CharterSpec, OncallSource } from '../policy/charter.schemas.ts';
import type { Clock } from '../shared/clock.ts';
import { errorCode } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import type { PagerDutyClient } from '../systems/pagerduty.client.ts';

/** A Slack user on call now, with the name PagerDuty gives them. */
export type OncallPerson = { userId: string; name: string };

/** One on-call group of a charter, resolved now: its people, or why they could not be known. */
export type OncallStatus = { group: string; escalationPolicy: string } & (
  | { ok: true; people: OncallPerson[] }
  | { ok: false; reason: string }
);

export type OncallDirectory = {
  /** The on-call groups of `charter` among `groups` (every one when absent), resolved or from the cache. */
  statusOf: (input: {
    charter: Pick<CharterSpec, 'groups'>;
    groups?: readonly string[];
  }) => Promise<OncallStatus[]>;
};

type Resolution = { ok: true; people: OncallPerson[] } | { ok: false; reason: string };

/**
 * Who is on call, from PagerDuty's `GET /oncalls` (users included) through their e-mails to Slack users
 * (`users.lookupByEmail`). An answer is kept `ttlMs` (by the injected clock) so a burst of clicks asks once;
 * a failure is never kept, and fails closed: PagerDuty down or rate limiting, nobody on call, or an e-mail
 * Slack does not know makes the whole group unresolved, with a reason fit for the clicker and the audit
 * (codes and names only: never a token or a server's words).
 */
export function createOncallDirectory({
  pagerduty,
  client,
  clock,
  logger,
  ttlMs = 60_000,
  timeoutMs = 3_000,
}: {
  pagerduty: (connection: string) => Pick<PagerDutyClient, 'oncalls'> | null;
  client: Pick<WebClient, 'users'>;
  clock: Clock;
  logger: Logger;
  ttlMs?: number;
  /** Bounds PagerDuty's answer (a click has 8 s in all; a 429 wait past this fails). */
  timeoutMs?: number;
}): OncallDirectory {
  const cache = new Map<string, { until: number; people: OncallPerson[] }>();

  async function resolve(source: OncallSource): Promise<Resolution> {
    const levels = source.levels ?? [1];
    const key = `${source.connection}\u0000${source.escalation_policy}\u0000${levels.join(',')}`;
    const now = clock.now().getTime();
    const cached = cache.get(key);
    if (cached && cached.until > now) return { ok: true, people: cached.people };
    const pd = pagerduty(source.connection);
    if (!pd) return { ok: false, reason: `the catalog has no PagerDuty connection "${source.connection}"` };
    let oncalls: Awaited<ReturnType<PagerDutyClient['oncalls']>>;
    try {
      oncalls = await pd.oncalls({
        escalationPolicyId: source.escalation_policy,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const code = errorCode(error) ?? 'unknown';
      logger.warn({ connection: source.connection, code }, 'could not read who is on call from PagerDuty');
      return { ok: false, reason: `PagerDuty did not say who is on call (${code})` };
    }
    const users = new Map<string, string>();
    for (const o of oncalls)
      if (o.escalation_policy.id === source.escalation_policy && levels.includes(o.escalation_level))
        users.set(o.user.email.toLowerCase(), o.user.name ?? o.user.summary ?? o.user.id);
    if (users.size === 0) return { ok: false, reason: 'PagerDuty lists nobody on call' };
    const people: OncallPerson[] = [];
    for (const [email, name] of users) {
      const found = await lookUp({ email, name });
      if (!found.ok) return found;
      people.push({ userId: found.userId, name });
    }
    cache.set(key, { until: now + ttlMs, people });
    return { ok: true, people };
  }

  async function lookUp({
    email,
    name,
  }: {
    email: string;
    name: string;
  }): Promise<{ ok: true; userId: string } | { ok: false; reason: string }> {
    const notInSlack = {
      ok: false as const,
      reason: `on-call ${name}'s PagerDuty e-mail belongs to no Slack user`,
    };
    try {
      const answer = await client.users.lookupByEmail({ email });
      return answer.user?.id ? { ok: true, userId: answer.user.id } : notInSlack;
    } catch (error) {
      const said = (error as { data?: { error?: unknown } } | null)?.data?.error;
      if (said === 'users_not_found') return notInSlack;
      logger.warn({ err: error }, 'could not look an on-call person up in Slack');
      const why = typeof said === 'string' ? said : 'no answer';
      return { ok: false, reason: `Slack could not look on-call ${name} up (${why})` };
    }
  }

  return {
    statusOf: async ({ charter, groups }) => {
      const out: OncallStatus[] = [];
      for (const [group, spec] of Object.entries(charter.groups)) {
        if (!spec.oncall || (groups && !groups.includes(group))) continue;
        const resolved = await resolve(spec.oncall);
        out.push({ group, escalationPolicy: spec.oncall.escalation_policy, ...resolved });
      }
      return out;
    },
  };
}

/** `oncallMembers` for `resolveGroups`, and the groups that could not be resolved (which count as none). */
export function oncallMembership(statuses: readonly OncallStatus[]): {
  members: Record<string, string[]>;
  unresolved: { group: string; reason: string }[];
} {
  const members: Record<string, string[]> = {};
  const unresolved: { group: string; reason: string }[] = [];
  for (const s of statuses) {
    if (s.ok) members[s.group] = s.people.map((p) => p.userId);
    else unresolved.push({ group: s.group, reason: s.reason });
  }
  return { members, unresolved };
}
