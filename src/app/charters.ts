import { loadCharters } from '../policy/charter.loader.ts';
import type { Charter } from '../policy/charter.schemas.ts';
import { allToolInfos } from '../tools/tool-catalog.ts';

/** The charters in `dir`, every tool they name checked against the tools Warden has; throws `charter.invalid`. */
export function loadAppCharters({ dir }: { dir: string }): Charter[] {
  return loadCharters({ dir, knownTools: allToolInfos().map((t) => t.name) }).charters;
}
