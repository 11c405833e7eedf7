import type { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { boundSql } from '../../src/db/bounded-sql.ts';
import type { Database, Db } from '../../src/db/client.ts';
import { withCommitHooks } from '../../src/db/commit-hooks.ts';
import { pipelinedOnPostgres } from '../../src/db/pipeline.ts';

/** What a traced stretch of work sent: the statements, grouped by the round trip they travelled in. */
export type Trace = { roundTrips: string[][]; statements: string[] };

/**
 * Statements of Warden's background work, which runs beside the caller, not on its path: the audit
 * chainer's batches (they take the chain lock), its sweep, the behaviour alerts' pass.
 */
const BACKGROUND = [
  /pg_(try_)?advisory_xact_lock\(7305100\)/,
  /pg_(try_)?advisory_xact_lock\(7305101\)/,
  /^select min\(id\) as oldest from audit_events where seq is null/,
];

type Sent = { connection: string; segment: number; text: string; wave: number };

/**
 * Counts round trips by when statements are written, not by how long anything takes: statements written
 * in the same turn of the event loop (before any answer could have come back) travel together, one round
 * trip; a statement written after that turn waited for an answer, so it starts another. Statements on two
 * connections sent together (`Promise.all`) count once, as the caller waits for them once. A transaction
 * (or lone statement) of background work is left out with everything it sent, wherever the timers put it.
 */
export function createRoundTripTracer() {
  let recording = false;
  let sent: Sent[] = [];
  let waveOpen = false;
  let wave = -1;
  /** Per connection: the current segment (a transaction, or a statement outside one) and whether it is open. */
  const segments = new Map<string, { n: number; inTransaction: boolean; recorded: boolean }>();
  /** Segments the trace saw only the end of: begun before it started, so not the traced work's. */
  const begunBefore = new Set<string>();

  /** `connection` names where it ran; `transaction` names a whole transaction when the driver sends no BEGIN (PGlite). */
  const send = (text: string, connection = 'pg', transaction = false) => {
    const clean = text.replace(/\s+/g, ' ').trim();
    const lower = clean.toLowerCase();
    // Segments are followed while nothing is recorded too: a transaction of background work begun before
    // the trace (its BEGIN and lock unseen) must not pass its COMMIT off as the caller's.
    const at = segments.get(connection) ?? { n: 0, inTransaction: transaction, recorded: recording };
    if (lower.startsWith('begin') || !at.inTransaction) {
      at.n += 1;
      at.recorded = recording;
    }
    at.inTransaction = lower.startsWith('begin') || (at.inTransaction && !/^(commit|rollback)\b/.test(lower));
    segments.set(connection, at);
    if (!recording) return;
    if (!at.recorded) {
      begunBefore.add(`${connection}#${at.n}`);
    }
    if (!waveOpen) {
      waveOpen = true;
      wave += 1;
      // Runs before the driver's own flush of this turn's writes (queued after this), so before any answer.
      setImmediate(() => {
        waveOpen = false;
      });
    }
    sent.push({ connection, segment: at.n, text: clean.slice(0, 120), wave });
  };

  /** Runs `work` and returns its result with what it sent. */
  async function trace<T>(work: () => Promise<T>): Promise<{ result: T; trace: Trace }> {
    sent = [];
    begunBefore.clear();
    waveOpen = false;
    wave = -1;
    recording = true;
    try {
      const result = await work();
      const key = (s: Sent) => `${s.connection}#${s.segment}`;
      const background = new Set([
        ...sent.filter((s) => BACKGROUND.some((re) => re.test(s.text))).map(key),
        ...begunBefore,
      ]);
      const waves = new Map<number, string[]>();
      for (const s of sent) {
        if (background.has(key(s))) continue;
        waves.set(s.wave, [...(waves.get(s.wave) ?? []), s.text]);
      }
      const roundTrips = [...waves.entries()].sort(([a], [b]) => a - b).map(([, texts]) => texts);
      return { result, trace: { roundTrips, statements: roundTrips.flat() } };
    } finally {
      recording = false;
    }
  }

  return { sent: send, trace };
}

export type RoundTripTracer = ReturnType<typeof createRoundTripTracer>;

/**
 * A Warden database on Postgres built like `connectPostgres` (same pool bounds, pipelined transactions,
 * commit hooks), whose driver reports every statement it writes to `tracer`.
 */
export function connectTracedPostgres({
  url,
  tracer,
  max = 10,
}: {
  url: string;
  tracer: RoundTripTracer;
  max?: number;
}): Database {
  const pool = postgres(url, {
    max,
    onnotice: () => {},
    connection: { lock_timeout: 5_000, statement_timeout: 15_000 },
    debug: (connection, query) => tracer.sent(query, `c${connection}`),
  });
  const sql = boundSql(pool, { waitBoundMs: 20_000 });
  return {
    db: withCommitHooks(drizzlePostgres(sql) as unknown as Db),
    kind: 'postgres',
    pipelined: pipelinedOnPostgres(sql),
    listen: async (channel, onPayload) => {
      const sub = await sql.listen(channel, onPayload);
      return () => sub.unlisten();
    },
    migrate: async () => {
      // Made from the migrated template: nothing to apply.
    },
    close: () => sql.end({ timeout: 5 }),
  };
}

/**
 * Calls `onStatement` with every statement PGlite runs, in and out of transactions (`transaction` names
 * the transaction it ran in, `tx1`, `tx2`, …).
 */
export function watchPgliteStatements({
  pg,
  onStatement,
}: {
  pg: PGlite;
  onStatement: (text: string, transaction?: string) => void;
}): void {
  let transactions = 0;
  const wrap = <T extends { query: PGlite['query'] }>(target: T, transaction?: string) => {
    const query = target.query.bind(target);
    target.query = ((text: string, ...rest: unknown[]) => {
      onStatement(text, transaction);
      return (query as (...args: unknown[]) => ReturnType<PGlite['query']>)(text, ...rest);
    }) as PGlite['query'];
  };
  wrap(pg);
  const transaction = pg.transaction.bind(pg);
  pg.transaction = ((fn: (tx: Parameters<Parameters<PGlite['transaction']>[0]>[0]) => Promise<unknown>) =>
    transaction(async (tx) => {
      transactions += 1;
      wrap(tx, `tx${transactions}`);
      return fn(tx);
    })) as PGlite['transaction'];
}

/**
 * Reports every statement PGlite runs to `tracer`. PGlite runs in this process, one statement at a time,
 * so each statement is its own "round trip" into the engine.
 */
export function traceStatementsOnPglite({ pg, tracer }: { pg: PGlite; tracer: RoundTripTracer }): void {
  watchPgliteStatements({
    pg,
    onStatement: (text, transaction) => tracer.sent(text, transaction, transaction !== undefined),
  });
}
