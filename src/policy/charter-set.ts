import type { Charter } from './charter.schemas.ts';

/** The loaded charters, by agent name. */
export type CharterSet = {
  get: (agent: string) => Charter | null;
  list: () => Charter[];
};

/** Builds a charter set from loaded charters. */
export function charterSet(charters: Charter[]): CharterSet {
  const byAgent = new Map(charters.map((c) => [c.agent, c]));
  return { get: (agent) => byAgent.get(agent) ?? null, list: () => [...byAgent.values()] };
}
