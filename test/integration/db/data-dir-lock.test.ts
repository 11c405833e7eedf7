import { type ChildProcessWithoutNullStreams, execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { openPglite } from '../../../src/db/client.pglite.ts';
import { LOCK_FILE, type LockOwner, lockDataDir } from '../../../src/db/data-dir-lock.ts';
import { isWardenError, type WardenError } from '../../../src/shared/errors.ts';
import { repoRoot } from '../../helpers/services.ts';

const holderScript = fileURLToPath(new URL('./lock-holder.ts', import.meta.url));
const TRACE = /\n\s+at .+:\d+:\d+|\bError:/;

type HolderResult = { locked: true } | { locked: false; code: string; message: string };
type Holder = { child: ChildProcessWithoutNullStreams; result: Promise<HolderResult>; exited: Promise<void> };

/** Another process (tsx) that tries to take the lock at `startAt` and holds it until `stop`. */
function startHolder({
  dataDir,
  purpose,
  startAt = 0,
}: {
  dataDir: string;
  purpose: string;
  startAt?: number;
}) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', holderScript, dataDir, purpose, String(startAt)],
    {
      cwd: repoRoot,
    },
  );
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const result = new Promise<HolderResult>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n')[0];
      if (stdout.includes('\n') && line) resolve(JSON.parse(line) as HolderResult);
    });
    child.on('exit', (code) => reject(new Error(`holder exited (${code}) before answering: ${stderr}`)));
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const holder: Holder = { child, result, exited };
  return holder;
}

/** Ends a holder normally: its stdin closes and it exits (its exit hook removes its lock). */
async function stopHolder(holder: Holder): Promise<void> {
  holder.child.stdin.end();
  await holder.exited;
}

function refusal(take: () => unknown): WardenError {
  try {
    take();
  } catch (error) {
    if (isWardenError(error)) return error;
    throw error;
  }
  throw new Error('the lock was taken; a refusal was expected');
}

const lockFileOf = (dataDir: string) => join(dataDir, LOCK_FILE);
const ownerIn = (dataDir: string) => JSON.parse(readFileSync(lockFileOf(dataDir), 'utf8')) as LockOwner;
/** The pid of a process that has exited. */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid as number;
const staleOwner = (over: Partial<LockOwner> = {}): LockOwner => ({
  pid: deadPid(),
  hostname: hostname(),
  purpose: 'server on port 3000',
  startedAt: new Date().toISOString(),
  nonce: '0123456789abcdef',
  ...over,
});

describe('the embedded data directory lock', () => {
  const dirs: string[] = [];
  const holders: Holder[] = [];
  const newDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-lock-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(async () => {
    for (const holder of holders.splice(0)) {
      holder.child.kill('SIGKILL');
      await holder.exited;
    }
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const holder = (options: Parameters<typeof startHolder>[0]) => {
    const started = startHolder(options);
    holders.push(started);
    return started;
  };

  it('refuses a second process while one holds it, naming the owner; a normal exit leaves no lock', async () => {
    const dataDir = newDir();
    const server = holder({ dataDir, purpose: 'server on port 3000' });
    expect(await server.result).toEqual({ locked: true });
    const owner = ownerIn(dataDir);
    expect(owner).toMatchObject({
      pid: server.child.pid,
      hostname: hostname(),
      purpose: 'server on port 3000',
    });

    const error = refusal(() => lockDataDir({ dataDir, purpose: 'warden audit verify' }));
    expect(error.code).toBe('db.data_dir_in_use');
    expect(error.message).toBe(
      `The embedded database in ${dataDir} is in use by process ${server.child.pid} (server on port 3000) ` +
        `on host ${hostname()} since ${owner.startedAt}, and only one process may open it at a time. ` +
        'Stop that process first, or use another data directory (WARDEN_DATA_DIR).',
    );
    // And the other way round: a process started later is refused too.
    const second = holder({ dataDir, purpose: 'second server' });
    expect(await second.result).toMatchObject({ locked: false, code: 'db.data_dir_in_use' });
    expect(ownerIn(dataDir)).toEqual(owner);

    await stopHolder(server);
    expect(existsSync(lockFileOf(dataDir))).toBe(false);
    const lock = lockDataDir({ dataDir, purpose: 'next start' });
    expect(ownerIn(dataDir)).toMatchObject({ pid: process.pid, purpose: 'next start' });
    lock.release();
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it('takes over the lock a crashed process left behind', async () => {
    const dataDir = newDir();
    const crashed = holder({ dataDir, purpose: 'server on port 3000' });
    expect(await crashed.result).toEqual({ locked: true });
    crashed.child.kill('SIGKILL');
    await crashed.exited;
    expect(ownerIn(dataDir).pid).toBe(crashed.child.pid);

    const lock = lockDataDir({ dataDir, purpose: 'restarted server' });
    expect(ownerIn(dataDir)).toMatchObject({ pid: process.pid, purpose: 'restarted server' });
    lock.release();
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it('takes over a lock of this pid it does not hold (a restarted container) and one from before the boot', () => {
    const dataDir = newDir();
    for (const stale of [
      staleOwner({ pid: process.pid }),
      // pid 1 is alive, but not the process that wrote this before the host booted.
      staleOwner({ pid: 1, startedAt: '2001-01-01T00:00:00.000Z' }),
    ]) {
      writeFileSync(lockFileOf(dataDir), JSON.stringify(stale));
      const lock = lockDataDir({ dataDir, purpose: 'server' });
      expect(ownerIn(dataDir).nonce).toBe(lock.owner.nonce);
      lock.release();
    }
  });

  it('takes over a lock file that is garbage', () => {
    const dataDir = newDir();
    const { nonce: _, ...noNonce } = staleOwner();
    for (const garbage of [
      '',
      'not json {',
      '{"pid": 42',
      JSON.stringify({ pid: 'x' }),
      JSON.stringify(noNonce),
      JSON.stringify(staleOwner({ pid: -1 })),
      JSON.stringify(staleOwner({ nonce: '../../etc' })),
    ]) {
      writeFileSync(lockFileOf(dataDir), garbage);
      const lock = lockDataDir({ dataDir, purpose: 'server' });
      expect(ownerIn(dataDir)).toMatchObject({ pid: process.pid, nonce: lock.owner.nonce });
      lock.release();
      expect(readdirSync(dataDir)).toEqual([]);
    }
  });

  it('refuses a lock held on another host and says how to clear it if that process is gone', () => {
    const dataDir = newDir();
    const elsewhere = staleOwner({ hostname: 'warden-old-container', pid: 7 });
    writeFileSync(lockFileOf(dataDir), JSON.stringify(elsewhere));
    const error = refusal(() => lockDataDir({ dataDir }));
    expect(error.message).toContain('in use by process 7 (server on port 3000) on host warden-old-container');
    expect(error.message).toContain(
      `if it is gone (e.g. a container that was killed), delete ${lockFileOf(dataDir)}`,
    );
    expect(ownerIn(dataDir)).toEqual(elsewhere);
  });

  it('lets exactly one of several processes racing to take over one stale lock win', async () => {
    const dataDir = newDir();
    writeFileSync(lockFileOf(dataDir), JSON.stringify(staleOwner()));
    const startAt = Date.now() + 5_000;
    const racers = Array.from({ length: 8 }, (_, i) => holder({ dataDir, purpose: `racer ${i}`, startAt }));
    const results = await Promise.all(racers.map((r) => r.result));
    const winners = racers.filter((_, i) => results[i]?.locked);
    expect(winners).toHaveLength(1);
    const winner = winners[0]!;
    expect(ownerIn(dataDir).pid).toBe(winner.child.pid);
    const pids = racers.map((r) => r.child.pid);
    for (const result of results) {
      if (result.locked) continue;
      expect(result.code).toBe('db.data_dir_in_use');
      // Named: the winner, or a racer that held the take-over claim at that moment.
      const named = Number(/process (\d+) \(racer \d\)/.exec(result.message)?.[1]);
      expect(pids).toContain(named);
    }
    // No claim or temporary file is left behind.
    expect(readdirSync(dataDir)).toEqual([LOCK_FILE]);
    await Promise.all(racers.map(stopHolder));
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it('lets one of many calls in one process win, and release removes only its own lock', async () => {
    const dataDir = newDir();
    writeFileSync(lockFileOf(dataDir), JSON.stringify(staleOwner()));
    const attempts = await Promise.allSettled(
      Array.from({ length: 20 }, async (_, i) => lockDataDir({ dataDir, purpose: `call ${i}` })),
    );
    const won = attempts.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
    expect(won).toHaveLength(1);
    for (const a of attempts) {
      if (a.status === 'rejected') expect(isWardenError(a.reason, 'db.data_dir_in_use')).toBe(true);
    }
    const lock = won[0]!;

    // Someone judged this lock stale and took it over: releasing must not remove theirs.
    const theirs = staleOwner({ pid: 4242, nonce: 'fedcba9876543210' });
    writeFileSync(lockFileOf(dataDir), JSON.stringify(theirs));
    lock.release();
    lock.release();
    expect(ownerIn(dataDir)).toEqual(theirs);
  });

  it('is taken by openPglite for a data directory (not in memory) and released by close()', async () => {
    const dataDir = join(newDir(), 'data');
    const database = await openPglite({ dataDir, purpose: 'server on port 3000' });
    try {
      expect(ownerIn(dataDir)).toMatchObject({ pid: process.pid, purpose: 'server on port 3000' });
      const other = holder({ dataDir, purpose: 'warden audit verify' });
      const result = await other.result;
      expect(result).toMatchObject({ locked: false, code: 'db.data_dir_in_use' });
      expect(result.locked === false && result.message).toContain(
        `in use by process ${process.pid} (server on port 3000)`,
      );
    } finally {
      await database.close();
    }
    expect(existsSync(lockFileOf(dataDir))).toBe(false);
    expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);
  });

  it('makes `warden audit verify` and `audit head` on a held data directory exit 1 with what to do', async () => {
    const dataDir = join(newDir(), 'data');
    const env: Record<string, string | undefined> = { ...process.env, WARDEN_DATA_DIR: dataDir };
    delete env.DATABASE_URL;
    const warden = (command: string) =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...command.split(' ')], {
        cwd: repoRoot,
        env,
      }).then(
        () => ({ code: 0, stdout: '', stderr: '' }),
        (error: { code: number; stdout: string; stderr: string }) => error,
      );
    const server = holder({ dataDir, purpose: 'server on port 3000' });
    expect(await server.result).toEqual({ locked: true });
    for (const command of ['audit verify', 'audit head']) {
      const cli = await warden(command);
      expect(cli.code).toBe(1);
      expect(cli.stdout).toBe('');
      expect(cli.stderr).toContain(
        `warden: ${command} did not run: the embedded database in ${dataDir} is in use by ` +
          `process ${server.child.pid} (server on port 3000) on host ${hostname()} since ${ownerIn(dataDir).startedAt}.\n`,
      );
      expect(cli.stderr).toContain('stop the server and run this again');
      expect(cli.stderr).toContain('GET /healthz');
      expect(cli.stderr).toContain('On Postgres (DATABASE_URL)');
      expect(cli.stderr).not.toMatch(TRACE);
    }
    // Refused before anything was created in the directory.
    expect(readdirSync(dataDir)).toEqual([LOCK_FILE]);

    // A lock left by a container that is gone: the CLI says which file to delete.
    await stopHolder(server);
    writeFileSync(lockFileOf(dataDir), JSON.stringify(staleOwner({ hostname: 'warden-old-container' })));
    const cli = await warden('audit head');
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain(
      `If that process is gone (e.g. a container that was killed), delete ${lockFileOf(dataDir)}.`,
    );
  });
});
