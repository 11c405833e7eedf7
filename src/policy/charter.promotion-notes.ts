import {
  describeOverride,
  describeRefusal,
  type EvidenceLookup,
  modeRefusals,
} from './charter.promotion-refusals.ts';
import type { Charter } from './charter.schemas.ts';

/**
 * What `warden charter validate` says about promotion gates (`environments.<env>.promotion`): each
 * environment whose mode is above what the recorded eval evidence supports is refused (naming the mode, the
 * gate and what is missing), unless an owner's override keeps it, which is noted. Pure.
 */
export function promotionNotes({ charter, evidence }: { charter: Charter; evidence: EvidenceLookup }): {
  refused: string[];
  notes: string[];
} {
  const { refused, overridden } = modeRefusals({ charter, evidence });
  return { refused: refused.map(describeRefusal), notes: overridden.map(describeOverride) };
}
