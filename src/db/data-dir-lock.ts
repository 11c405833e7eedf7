import { createHash, randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname, uptime } from 'node:os';
import { join, relative } from 'node:path';
import { z } from 'zod';
import { wardenError } from '../shared/errors.ts';

/** The file in an embedded data directory that says which process has it open. */
export const LOCK_FILE = 'warden.lock';

const ownerSchema = z.object({
  pid: z.number().int().positive(),
  hostname: z.string().min(1),
  purpose: z.string(),
  startedAt: z.iso.datetime(),
  // Part of a file name (a take-over claim), so only these characters.
  nonce: z.string().regex(/^[0-9a-f]{8,64}$/),
});

/** What a lock file says about the process that holds it. */
export type LockOwner = z.infer<typeof ownerSchema>;

/** A held lock; `release` removes the file only while it is still this lock's. */
export type DataDirLock = { file: string; owner: LockOwner; release: () => void };

/** The nonces of the locks this process holds, by lock file: released on a normal exit. */
const heldHere = new Map<string, string>();
let exitHookInstalled = false;

/**
 * Takes the exclusive lock of an embedded data directory, or throws `db.data_dir_in_use` naming the
 * process that holds it. PGlite is a single-process database: two processes writing one directory fork
 * the audit chain. A lock whose owner is gone (a crash, a killed container on this host) is taken over.
 */
export function lockDataDir({
  dataDir,
  purpose = describeThisProcess(),
}: {
  dataDir: string;
  purpose?: string;
}): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, LOCK_FILE);
  const owner = newOwner(purpose);
  const taken = acquire({ file, me: owner, depth: 0 });
  if (!taken.ok) throw inUseError({ dataDir, file, holder: taken.holder });
  heldHere.set(file, owner.nonce);
  installExitHook();
  const release = () => {
    if (heldHere.get(file) !== owner.nonce) return;
    heldHere.delete(file);
    removeIfStill({ file, key: owner.nonce });
  };
  return { file, owner, release };
}

type Acquired = { ok: true } | { ok: false; holder: LockOwner | null };
type Found = { owner: LockOwner | null; key: string };

/** Claims of claims only arise from crashes in the middle of a take-over; give up past a few. */
const MAX_TAKEOVER_DEPTH = 3;

/**
 * Creates `file` for `me`, or takes it over from a dead owner. Removing a stale file and creating ours
 * are two steps, so only the process holding the claim on that stale copy (`<file>.takeover-<key>`,
 * itself such a lock) may do them: of any number of processes racing, one removes it and one creates.
 * Everything here is synchronous, so calls in one process never interleave.
 */
function acquire({ file, me, depth }: { file: string; me: LockOwner; depth: number }): Acquired {
  for (let attempt = 0; attempt < 3; attempt++) {
    if (createExclusive({ file, owner: me })) return { ok: true };
    const found = readLock(file);
    if (!found) continue; // released in the meantime
    if (found.owner && isAlive(found.owner)) return { ok: false, holder: found.owner };
    if (depth >= MAX_TAKEOVER_DEPTH) return { ok: false, holder: found.owner };
    const claimFile = `${file}.takeover-${found.key}`;
    const claimer = newOwner(me.purpose);
    const claim = acquire({ file: claimFile, me: claimer, depth: depth + 1 });
    // Another process is taking this one over right now: it is the one that will hold the lock.
    if (!claim.ok) return { ok: false, holder: claim.holder ?? found.owner };
    try {
      if (readLock(file)?.key === found.key) removeIfExists(file);
      if (createExclusive({ file, owner: me })) return { ok: true };
    } finally {
      removeIfStill({ file: claimFile, key: claimer.nonce });
    }
  }
  return { ok: false, holder: readLock(file)?.owner ?? null };
}

/**
 * Creates `file` holding `owner`, atomically and only if it does not exist: the content is written to a
 * private file first and hard-linked into place, so nobody ever reads a half-written lock.
 */
function createExclusive({ file, owner }: { file: string; owner: LockOwner }): boolean {
  const text = `${JSON.stringify(owner)}\n`;
  const temp = `${file}.${owner.nonce}.tmp`;
  writeFileSync(temp, text, { flag: 'wx' });
  try {
    linkSync(temp, file);
    return true;
  } catch (error) {
    if (codeOf(error) === 'EEXIST') return false;
    if (!['EPERM', 'ENOTSUP', 'ENOSYS', 'EOPNOTSUPP'].includes(codeOf(error) ?? '')) throw error;
    // A file system without hard links: an exclusive create, whose content appears a moment later.
    try {
      writeFileSync(file, text, { flag: 'wx' });
      return true;
    } catch (inner) {
      if (codeOf(inner) === 'EEXIST') return false;
      throw inner;
    }
  } finally {
    removeIfExists(temp);
  }
}

/** The lock file's owner and identity, `owner: null` when it is garbage; null when there is no file. */
function readLock(file: string): Found | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return null;
    throw error;
  }
  const parsed = ownerSchema.safeParse(parseJson(text));
  if (parsed.success) return { owner: parsed.data, key: parsed.data.nonce };
  return { owner: null, key: `x${createHash('sha256').update(text).digest('hex').slice(0, 16)}` };
}

/**
 * Whether the owner may still be running. On this host: its pid answers signal 0 (EPERM: alive, not
 * ours) and it started after the host booted; our own pid counts only for a lock this process holds
 * (a restarted container often gets the same pid). On another host nobody can tell, so it counts as alive.
 */
function isAlive(owner: LockOwner): boolean {
  if (owner.hostname !== hostname()) return true;
  if (owner.pid === process.pid) return [...heldHere.values()].includes(owner.nonce);
  const bootedAt = Date.now() - uptime() * 1000;
  if (Date.parse(owner.startedAt) < bootedAt - 60_000) return false;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    return codeOf(error) === 'EPERM';
  }
}

/** "process 4242 (server on port 3000) on host h since …", for messages naming a lock's owner. */
export function describeLockOwner(owner: LockOwner | null): string {
  if (!owner) return 'another process';
  const purpose = owner.purpose || 'no purpose given';
  return `process ${owner.pid} (${purpose}) on host ${owner.hostname} since ${owner.startedAt}`;
}

function inUseError({ dataDir, file, holder }: { dataDir: string; file: string; holder: LockOwner | null }) {
  const who = describeLockOwner(holder);
  const elsewhere = holder !== null && holder.hostname !== hostname();
  const todo = elsewhere
    ? `Stop it there; if it is gone (e.g. a container that was killed), delete ${file} and start again.`
    : 'Stop that process first, or use another data directory (WARDEN_DATA_DIR).';
  return wardenError({
    code: 'db.data_dir_in_use',
    message: `The embedded database in ${dataDir} is in use by ${who}, and only one process may open it at a time. ${todo}`,
    details: { dataDir, lockFile: file, owner: holder },
  });
}

function newOwner(purpose: string): LockOwner {
  return {
    pid: process.pid,
    hostname: hostname(),
    purpose: purpose.slice(0, 200),
    startedAt: new Date().toISOString(),
    nonce: randomBytes(8).toString('hex'),
  };
}

/** The command line, shortened: what a person sees of this process in `ps`. */
function describeThisProcess(): string {
  const [script, ...args] = process.argv.slice(1);
  if (!script) return 'node';
  const shown = relative(process.cwd(), script);
  return [shown.startsWith('..') ? script : shown, ...args].join(' ');
}

/** A normal exit (including `process.exit`) leaves no lock behind; a crash leaves a stale one. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const [file, nonce] of heldHere) removeIfStill({ file, key: nonce });
    heldHere.clear();
  });
}

function removeIfStill({ file, key }: { file: string; key: string }): void {
  try {
    if (readLock(file)?.key === key) removeIfExists(file);
  } catch {
    // Nothing to do about an unreadable file on the way out; the next start judges it.
  }
}

function removeIfExists(file: string): void {
  try {
    unlinkSync(file);
  } catch (error) {
    if (codeOf(error) !== 'ENOENT') throw error;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
