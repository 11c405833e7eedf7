import { type Story, short } from './audit.story.parts.ts';

/** What the recorded eval evidence lacks, as one escaped line. */
function missingOf(s: Story): string {
  const missing = s.event.details.missing;
  const list = Array.isArray(missing) ? missing.map(String).join('; ') : '';
  return list ? ` Missing: ${s.f.text(short(list, 300))}.` : '';
}

const where = (s: Story) => s.f.text(short(s.event.environment ?? 'this environment', 40));
const mode = (s: Story, key: string) => s.f.code(short(s.event.details[key] ?? 'unknown', 40));

/** Sentences for promotion gates: a charter mode refused, a run capped by missing eval evidence, an override used. */
export const PROMOTION_SENTENCES: Record<string, (s: Story) => [string, string]> = {
  'run.mode_capped': (s) => [
    ':lock:',
    `In ${where(s)} the charter gives ${mode(s, 'mode')}, but the eval evidence recorded on this model and prompt supports only ${mode(s, 'supported')}, so this run is capped at ${mode(s, 'cappedAt')} until an eval passes.${missingOf(s)}`,
  ],
  'charter.refused_mode': (s) => [
    ':no_entry:',
    `In ${where(s)} the charter's ${mode(s, 'mode')} is refused on this model and prompt: the gate for ${mode(s, 'gate')} is not met, so its runs and MCP sessions are capped at ${mode(s, 'supported')} until an eval passes or an owner overrides it.${missingOf(s)}`,
  ],
  'promotion.override_used': (s) => {
    const by = typeof s.event.details.by === 'string' ? s.f.person(s.event.details.by) : 'an owner';
    const reason = s.text('reason', 200);
    return [
      ':unlock:',
      `In ${where(s)} ${by} keeps ${mode(s, 'mode')} without the eval evidence it asks for${reason ? ` (“${reason}”)` : ''}; the evidence supports ${mode(s, 'supported')}.${missingOf(s)}`,
    ];
  },
};
