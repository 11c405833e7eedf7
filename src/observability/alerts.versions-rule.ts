import { z } from 'zod';
import { sha256Hex } from '../shared/hash.ts';
import type { Alert } from './alerts.rules.ts';

const versionsSchema = z.object({
  planner: z.string().optional(),
  model: z.string().nullable().optional(),
  prompt: z.string().nullable().optional(),
  charter: z.string().optional(),
});
const detailsSchema = z.object({ changed: z.array(z.string()), from: versionsSchema, to: versionsSchema });

type Versions = z.infer<typeof versionsSchema>;

const short = (value: string | null | undefined) =>
  value === null || value === undefined ? 'none' : /^[0-9a-f]{64}$/.test(value) ? value.slice(0, 12) : value;

function describe(v: Versions): string {
  return `planner ${v.planner ?? 'unknown'}, model ${short(v.model)}, prompt ${short(v.prompt)}, charter ${short(v.charter)}`;
}

/**
 * An agent's runs now depend on something else than its last run did: another planner, model, prompt or
 * charter (`agent.versions_changed`). Once per new combination: its behaviour is unproven until people have
 * compared its runs with their own decisions again. Not a charter setting: a change is always worth knowing.
 */
export function checkVersionsChanged({ agent, details }: { agent: string; details: unknown }): Alert | null {
  const parsed = detailsSchema.safeParse(details);
  if (!parsed.success) return null;
  const { changed, from, to } = parsed.data;
  return {
    rule: 'versions_changed',
    agent,
    environment: null,
    key: `versions:${agent}:${sha256Hex(JSON.stringify(to)).slice(0, 16)}`,
    coolDownMs: 7 * 24 * 3_600_000,
    figures: { changed: changed.join(', ') },
    threshold: { any: 'change of planner, model, prompt or charter' },
    message:
      `${agent} now runs on ${describe(to)} (before: ${describe(from)}; changed: ${changed.join(', ')}). ` +
      "Its behaviour may differ: compare its next runs with people's decisions before it gets more autonomy.",
  };
}
