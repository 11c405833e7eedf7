import type { AlertmanagerClient, EqualityMatchers, Silence } from '../../systems/alertmanager.client.ts';

// A write to Alertmanager cannot join Warden's transaction, so create_silence finds its own earlier work
// by a marker in the silence's comment: `[warden:<idempotency key>]`.

/** The tag a silence's comment ends with, naming the proposal (idempotency key) that made it. */
export function silenceMarker(key: string): string {
  return `[warden:${key}]`;
}

/**
 * The active or pending silence with exactly these matchers whose comment carries this idempotency key's
 * marker, or null: the silence an earlier attempt at the same proposal made. Also what a verify step reads.
 */
export async function findSilenceByKey({
  client,
  matchers,
  key,
  signal,
}: {
  client: AlertmanagerClient;
  matchers: EqualityMatchers;
  key: string;
  signal?: AbortSignal;
}): Promise<Silence | null> {
  return (await silencesByKey({ client, matchers, key, signal }))[0] ?? null;
}

async function silencesByKey({
  client,
  matchers,
  key,
  signal,
}: {
  client: AlertmanagerClient;
  matchers: EqualityMatchers;
  key: string;
  signal?: AbortSignal;
}): Promise<Silence[]> {
  const marker = silenceMarker(key);
  const found = await client.silences({ matchers, signal });
  return found
    .filter((s) => s.status.state !== 'expired' && s.comment.endsWith(marker) && sameMatchers(s, matchers))
    .sort((a, b) => a.id.localeCompare(b.id));
}

/**
 * Another Warden instance may have made a silence for the same proposal at the same moment. Every
 * instance keeps the one with the smallest id and expires the rest, so they agree on one.
 */
export async function keepOne({
  client,
  matchers,
  key,
  id,
}: {
  client: AlertmanagerClient;
  matchers: EqualityMatchers;
  key: string;
  id: string;
}): Promise<Silence | null> {
  const all = await silencesByKey({ client, matchers, key });
  const [winner, ...extra] = all;
  for (const silence of extra) await client.expireSilence({ id: silence.id }).catch(() => undefined);
  return winner ?? all.find((s) => s.id === id) ?? null;
}

/** True when the silence has exactly these equality matchers, no more and no fewer. */
function sameMatchers(silence: Silence, matchers: EqualityMatchers): boolean {
  const names = Object.keys(matchers);
  return (
    silence.matchers.length === names.length &&
    new Set(silence.matchers.map((m) => m.name)).size === names.length &&
    silence.matchers.every((m) => !m.isRegex && m.isEqual && matchers[m.name] === m.value)
  );
}
