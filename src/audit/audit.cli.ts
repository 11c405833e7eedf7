import type { DbOrTx } from '../db/client.ts';
import { rootMessage } from '../shared/errors.ts';
import { LINK_BOUND_MS } from './audit.chainer.ts';
import { GENESIS_HASH } from './audit.hash.ts';
import { auditHead, verifyAuditChain } from './audit.repository.ts';

/** Where a command writes its lines (process.stdout, or a buffer in tests). */
export type Output = { write: (text: string) => void };

const count = (n: number) => n.toLocaleString('en-US');
const shortHash = (hash: string) => `${hash.slice(0, 12)}…`;

/** `warden audit verify`: walks the chain; exit code 0 when it verifies, 1 when broken or unreadable. */
export async function auditVerifyCommand({
  db,
  out,
  batchSize,
}: {
  db: DbOrTx;
  out: Output;
  batchSize?: number;
}): Promise<{ exitCode: 0 | 1 }> {
  let result: Awaited<ReturnType<typeof verifyAuditChain>>;
  try {
    result = await verifyAuditChain({ db, batchSize });
  } catch (error) {
    out.write(`✗ audit chain could not be read: ${rootMessage(error)}\n`);
    return { exitCode: 1 };
  }
  if (!result.ok) {
    out.write(`✗ ${result.message}\n`);
    const before = result.count === 1 ? '1 event' : `${count(result.count)} events`;
    out.write(`  ${before} before it verified; nothing after it can be trusted.\n`);
    return { exitCode: 1 };
  }
  if (!result.head) {
    out.write('✓ audit chain verified: 0 events (empty)\n');
    return { exitCode: 0 };
  }
  out.write(
    `✓ audit chain verified: ${count(result.count)} events, head ${shortHash(result.head.hash)} ` +
      `at seq ${result.head.seq}; no committed event unlinked past ${LINK_BOUND_MS} ms\n`,
  );
  const late = result.lateLinks;
  if (late.count > 0) {
    const events = late.count === 1 ? '1 event was' : `${count(late.count)} events were`;
    out.write(
      `  note: ${events} linked more than ${LINK_BOUND_MS} ms after its insert (at most ${count(late.maxMs)} ms): ` +
        'a long transaction or a chainer that lagged\n',
    );
  }
  return { exitCode: 0 };
}

/**
 * `warden audit head [--json]`: the chain's tip, to anchor outside Postgres. An empty chain prints
 * seq 0 with the genesis hash and no time.
 */
export async function auditHeadCommand({
  db,
  out,
  json = false,
}: {
  db: DbOrTx;
  out: Output;
  json?: boolean;
}): Promise<{ exitCode: 0 | 1 }> {
  const head = await auditHead({ db });
  const seq = head?.seq ?? 0;
  const hash = head?.hash ?? GENESIS_HASH;
  const at = head ? head.at.toISOString() : null;
  if (json) out.write(`${JSON.stringify({ seq, hash, at })}\n`);
  else out.write(`seq ${seq} hash ${hash} at ${at ?? '-'}\n`);
  return { exitCode: 0 };
}
