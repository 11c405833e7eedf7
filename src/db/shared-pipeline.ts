import { causesOf } from '../shared/errors.ts';
import { checkDeadline } from './bounded-sql.ts';
import { currentDeadline, type Deadline, outsideDeadline } from './deadline.ts';
import { PipelineStatementError, type PipelineTx, type RawRow, type RunPipelined } from './pipeline.ts';
import type { Statement } from './prepared.ts';
import { ownerOf, planStep, rowsOfMember } from './shared-step.ts';

/**
 * This work shared a transaction with others, and one of them failed (or a statement of another failed):
 * the transaction rolled back and nothing of this work committed. It runs again alone.
 */
export class SharedTransactionAborted extends Error {
  constructor() {
    super('another work in the shared transaction failed; nothing of this one committed');
  }
}

/** Whether `error` (or a cause, as callers wrap what their transaction threw) is a shared abort. */
function isSharedAbort(error: unknown): boolean {
  for (const at of causesOf(error)) if (at instanceof SharedTransactionAborted) return true;
  return false;
}

type Request = {
  commit: boolean;
  statements: Statement[];
  /** Reads sent behind the COMMIT (`sendCommitAndRead`); null for a plain send or commit. */
  reads: Statement[] | null;
  resolve: (result: { rows: RawRow[][]; read: RawRow[][] | null }) => void;
  reject: (error: unknown) => void;
};

type Member = {
  keys: string[];
  deadline: Deadline | undefined;
  /** Hands the member its view of the batch's transaction. */
  seat: (tx: PipelineTx) => void;
  /** Tells the member the batch's transaction ended before it began. */
  refuse: (error: unknown) => void;
  /** Tells the batch this member has asked for its next step, or has failed. */
  arrived: () => void;
  /** Settles when the batch's transaction has ended (committed or rolled back). */
  ended: Promise<unknown>;
  state: 'queued' | 'running' | 'waiting' | 'finished' | 'failed';
  request: Request | null;
};

/** A batch that did not commit: `errors` says what each member is told (the rest get a shared abort). */
class BatchFailed extends Error {
  constructor(readonly errors: Map<Member, unknown>) {
    super('the shared transaction did not commit');
  }
}

/**
 * Group commit for pipelined transactions (issue 16): works queued while others are in flight share one
 * transaction, so one BEGIN, one COMMIT, one WAL flush and one round trip per step serve all of them. Each
 * work sees an ordinary `PipelineTx`; a step of the batch is sent when every member has asked for its next
 * one, in member order, and each gets its own rows back. It is all or nothing, as for one work alone: when a
 * member fails (its own error, its deadline, a statement of its own) the transaction rolls back, that member
 * gets its error and every other runs again alone. A failure that belongs to no member (the connection, the
 * COMMIT) reaches every member as it would have reached each alone.
 *
 * Works that `keys` say touch the same state never share: a member's reads would not see another's writes.
 * A work must end with `sendAndCommit` or `sendCommitAndRead`, and must undo its own side effects when it
 * throws (it may run again).
 */
export function createSharedPipeline({
  pipelined,
  maxMembers = 32,
  maxInFlight = 2,
}: {
  pipelined: RunPipelined;
  maxMembers?: number;
  maxInFlight?: number;
}) {
  const queue: Member[] = [];
  /** Keys of the members of batches in flight: a member with one of them waits for a later batch. */
  const busy = new Set<string>();
  let inFlight = 0;
  let starting = false;

  /** Starts batches while fewer than `maxInFlight` are in flight, after this turn's works have queued. */
  function schedule(): void {
    if (starting || queue.length === 0 || inFlight >= maxInFlight) return;
    starting = true;
    setImmediate(() => {
      starting = false;
      while (inFlight < maxInFlight) {
        const members = takeMembers();
        if (members.length === 0) return;
        startBatch(members);
      }
    });
  }

  /**
   * The first queued members whose keys are disjoint from each other's and from the batches in flight, up to
   * `maxMembers`, ordered by key: their locks are taken in one order, as far as keys tell it.
   */
  function takeMembers(): Member[] {
    const taken: Member[] = [];
    for (let i = 0; i < queue.length && taken.length < maxMembers; ) {
      const member = queue[i] as Member;
      if (member.keys.some((k) => busy.has(k))) {
        i += 1;
        continue;
      }
      for (const k of member.keys) busy.add(k);
      taken.push(member);
      queue.splice(i, 1);
    }
    return taken.sort((a, b) => (a.keys[0] ?? '').localeCompare(b.keys[0] ?? ''));
  }

  function startBatch(members: Member[]): void {
    inFlight += 1;
    // The batch is no member's request: each member's own deadline is checked before each of its steps.
    const done = outsideDeadline(() => pipelined((tx) => runBatch(tx, members)));
    const ended = done.catch(() => {});
    for (const member of members) member.ended = ended;
    done
      .catch((error: unknown) => {
        const told = error instanceof BatchFailed ? error.errors : null;
        for (const member of members) {
          const request = member.request;
          member.request = null;
          if (member.state === 'queued') member.refuse(error);
          if (!request) continue;
          if (!told) request.reject(error);
          else request.reject(told.get(member) ?? new SharedTransactionAborted());
        }
      })
      .finally(() => {
        for (const member of members) for (const k of member.keys) busy.delete(k);
        inFlight -= 1;
        schedule();
      });
  }

  async function runBatch(tx: PipelineTx, members: Member[]): Promise<void> {
    let wake: () => void = () => {};
    let running = members.length;
    for (const member of members) {
      member.state = 'running';
      member.arrived = () => {
        running -= 1;
        if (running === 0) wake();
      };
      member.seat(viewOf(member));
    }
    for (;;) {
      if (running > 0) await new Promise<void>((resolve) => (wake = resolve));
      // A member that failed has its own error; the others are told the batch aborted.
      if (members.some((m) => m.state !== 'waiting')) throw new BatchFailed(new Map());
      const sending = members.filter((m) => !m.request?.commit);
      const commit = sending.length === 0;
      const step = commit ? members : sending;
      for (const member of step) {
        try {
          checkDeadline(member.deadline);
        } catch (error) {
          throw new BatchFailed(new Map([[member, error]]));
        }
      }
      const results = await sendStep(tx, step, commit);
      for (const [index, member] of step.entries()) {
        const request = member.request as Request;
        member.request = null;
        member.state = commit ? 'finished' : 'running';
        if (!commit) running += 1;
        request.resolve(results[index] as { rows: RawRow[][]; read: RawRow[][] | null });
      }
      if (commit) return;
    }
  }

  /**
   * One step for `step`'s members in one round trip (a shareable read asked for by several sent once); a
   * failed statement fails only its own member, and one of several members (a shared read) fails them all.
   */
  async function sendStep(tx: PipelineTx, step: Member[], commit: boolean) {
    const requests = step.map((member) => member.request as Request);
    const plan = planStep(requests.map((r) => r.statements));
    const reads: Statement[] = [];
    const readSpans = requests.map((request) => {
      const from = reads.length;
      reads.push(...(request.reads ?? []));
      return { from, to: reads.length };
    });
    let rows: RawRow[][];
    let read: RawRow[][] | null = null;
    try {
      if (!commit) rows = await tx.send(plan.statements);
      else if (reads.length === 0) rows = await tx.sendAndCommit(plan.statements);
      else ({ rows, read } = await tx.sendCommitAndRead(plan.statements, reads));
    } catch (error) {
      // Not one of the step's statements (BEGIN, COMMIT, the connection): each is told what it would be alone.
      if (!(error instanceof PipelineStatementError)) throw error;
      if (error.index < 0 || error.index >= plan.statements.length) throw error;
      const owner = ownerOf(plan, error.index);
      if (!owner) throw new BatchFailed(new Map());
      const own = new PipelineStatementError({ index: owner.index, cause: error.cause });
      throw new BatchFailed(new Map([[step[owner.member] as Member, own]]));
    }
    return requests.map((request, member) => {
      const span = readSpans[member] as { from: number; to: number };
      return {
        rows: rowsOfMember(plan, rows, member),
        read: request.reads ? (read?.slice(span.from, span.to) ?? null) : null,
      };
    });
  }

  /** A member's view of the batch: each call waits for the step every member asks for next. */
  function viewOf(member: Member): PipelineTx {
    const ask = (commit: boolean, statements: Statement[], reads: Statement[] | null) => {
      if (member.state !== 'running') throw new Error('the pipelined transaction has already ended');
      checkDeadline(member.deadline);
      return new Promise<{ rows: RawRow[][]; read: RawRow[][] | null }>((resolve, reject) => {
        member.request = { commit, statements, reads, resolve, reject };
        member.state = 'waiting';
        member.arrived();
      });
    };
    return {
      shared: true,
      send: async (statements) => (await ask(false, statements, null)).rows,
      sendAndCommit: async (statements) => (await ask(true, statements, null)).rows,
      sendCommitAndRead: (statements, reads) => ask(true, statements, reads),
    };
  }

  /**
   * Runs `work` in a transaction shared with other works queued at the same time, none of which has a key
   * of `keys`; alone again when the shared one failed for another's sake.
   */
  async function run<T>({
    keys,
    work,
  }: {
    keys: string[];
    work: (tx: PipelineTx) => Promise<T>;
  }): Promise<T> {
    const member: Member = {
      keys,
      deadline: currentDeadline(),
      state: 'queued',
      request: null,
      seat: () => {},
      refuse: () => {},
      arrived: () => {},
      ended: Promise.resolve(),
    };
    const seated = new Promise<PipelineTx>((resolve, reject) => {
      member.seat = resolve;
      member.refuse = reject;
    });
    queue.push(member);
    schedule();
    const tx = await seated;
    try {
      const result = await work(tx);
      if (member.state !== 'finished') throw new Error('a shared pipelined work ended without its COMMIT');
      return result;
    } catch (error) {
      // Failed between steps (its own error, or it ended without committing): the batch rolls back.
      if (member.state === 'running') {
        member.state = 'failed';
        member.arrived();
      }
      // As alone: the caller hears of a failure once its transaction has rolled back.
      await member.ended;
      if (isSharedAbort(error)) return pipelined(work);
      throw error;
    }
  }

  return { run };
}
