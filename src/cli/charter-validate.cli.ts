import { plannerFor } from '../app/planner.ts';
import { loadCatalog } from '../catalog/catalog.loader.ts';
import type { parseConfig } from '../config/config.ts';
import { hasPromotionGate, readCharterEvidence } from '../evals/charter-evidence.ts';
import { charterValidateCommand, type Output } from '../policy/charter.cli.ts';
import { checkCharterDir } from '../policy/charter.loader.ts';
import type { EvidenceLookup } from '../policy/charter.promotion-refusals.ts';
import { isWardenError } from '../shared/errors.ts';
import { createLogger } from '../shared/logger.ts';
import { createRedactor } from '../shared/redact.ts';
import { toolCatalogEntries } from '../tools/tool-catalog.ts';
import { openCommandDatabase } from './command-database.ts';

/**
 * `warden charter validate`, holding each gated environment's mode to the evidence recorded on the
 * versions a run would have (the configured planner and model, the prompt of the deployment's world).
 * Charters without a gate need no database. When the database cannot be read, nothing counts as
 * recorded, so a gated mode is refused (fail closed) and stderr says why.
 */
export async function charterValidateWithEvidence({
  config,
  dir,
  out,
}: {
  config: ReturnType<typeof parseConfig>;
  dir: string;
  out: Output;
}): Promise<number> {
  const knownTools = Object.keys(toolCatalogEntries());
  const charters = checkCharterDir({ dir, knownTools }).files.flatMap((f) => (f.charter ? [f.charter] : []));
  const gated = charters.filter(hasPromotionGate);
  if (gated.length === 0) return charterValidateCommand({ dir, knownTools, out });
  const evidence = await readEvidence({ config, charters: gated });
  return charterValidateCommand({ dir, knownTools, out, ...(evidence ? { evidence } : {}) });
}

async function readEvidence({
  config,
  charters,
}: {
  config: ReturnType<typeof parseConfig>;
  charters: Parameters<typeof readCharterEvidence>[0]['charters'];
}): Promise<EvidenceLookup | null> {
  const database = await openCommandDatabase({ command: 'charter validate', config });
  if (!database) return null;
  try {
    const redactor = createRedactor({ secrets: config.secrets });
    const logger = createLogger({ level: 'warn', redactor, destination: process.stderr });
    const world = loadCatalog({ dir: config.catalogDir }).services().length > 0 ? 'catalog' : 'sandbox';
    return await readCharterEvidence({
      db: database.db,
      charters,
      planner: await plannerFor({ config, redactor, logger }),
      world,
    });
  } catch (error) {
    // An unmigrated or unreachable database holds no evidence: every gated mode is refused, saying why.
    const why = isWardenError(error) ? error.code : error instanceof Error ? error.name : 'unknown';
    process.stderr.write(
      `warden: the recorded eval evidence could not be read (${why}; has \`npx warden db migrate\` run?), so none counts\n`,
    );
    return null;
  } finally {
    await database.close();
  }
}
