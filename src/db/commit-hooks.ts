import type { Db, DbOrTx } from './client.ts';

type Hook = () => void;
type Transactional = {
  transaction: (work: (tx: never) => Promise<unknown>, config?: unknown) => Promise<unknown>;
};

/** The hooks waiting for each open transaction (drizzle transaction objects) to commit. */
const hooksByTx = new WeakMap<object, Hook[]>();

function runHooks(hooks: Hook[]): void {
  for (const hook of hooks) {
    try {
      hook();
    } catch {
      // A hook observes a committed step; it never decides whether the step happened.
    }
  }
}

/** Tracks `tx` and the savepoints opened inside it: a savepoint's hooks join its parent's when it is released. */
function track(tx: object, hooks: Hook[]): void {
  hooksByTx.set(tx, hooks);
  const nested = tx as Transactional;
  const openSavepoint = nested.transaction.bind(tx);
  nested.transaction = async (work, config) => {
    const inner: Hook[] = [];
    const result = await openSavepoint(async (savepoint: never) => {
      track(savepoint, inner);
      return work(savepoint);
    }, config);
    hooks.push(...inner);
    return result;
  };
}

/**
 * Makes `db.transaction` remember, per transaction, what to run once it has committed (see `afterCommit`).
 * Returns the same object.
 */
export function withCommitHooks(db: Db): Db {
  const target = db as unknown as Transactional;
  const begin = target.transaction.bind(db);
  target.transaction = async (work, config) => {
    const hooks: Hook[] = [];
    const result = await begin(async (tx: never) => {
      track(tx, hooks);
      return work(tx);
    }, config);
    runHooks(hooks);
    return result;
  };
  return db;
}

/**
 * Runs `hook` right after the transaction `tx` commits, and never if it rolls back. On a database handle
 * that is not inside a transaction (each statement commits on its own) it runs at once.
 */
export function afterCommit(tx: DbOrTx, hook: Hook): void {
  const hooks = hooksByTx.get(tx);
  if (hooks) hooks.push(hook);
  else runHooks([hook]);
}
