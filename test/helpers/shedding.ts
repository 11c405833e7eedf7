import type { AnyMiddlewareArgs } from '@slack/bolt';
import { eq } from 'drizzle-orm';
import { auditEvents, runs } from '../../src/app/schema.ts';
import { type WardenInstance, waitFor } from './slack-harness.ts';

/**
 * Makes a whole Warden busy deterministically, for the load-shedding tests (HTTP and Socket Mode): a Bolt
 * middleware holds every `/agent help` before its listener (so before its ack), and `send` is called
 * `bound` times; resolves once Bolt holds them all. `release` lets them go; `held` are the sends.
 */
export async function holdHelpCommandsAtTheBound<T>({
  warden,
  bound,
  send,
}: {
  warden: WardenInstance;
  bound: number;
  /** Sends one `/agent help` the way the test's transport does. */
  send: () => Promise<T>;
}): Promise<{ held: Promise<T>[]; release: () => void }> {
  let holding = 0;
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  warden.surface.slack.app.use(async ({ body, next }: AnyMiddlewareArgs & { next: () => Promise<void> }) => {
    if ((body as { text?: unknown }).text === 'help') {
      holding += 1;
      await gate;
    }
    await next();
  });
  const held = Array.from({ length: bound }, send);
  await waitFor(() => holding === bound, {
    what: `${bound} requests held before their ack`,
    timeoutMs: 30_000,
  });
  return { held, release };
}

/** The runs and audit events of one incident: what a refused request must not have created. */
export function incidentRecords(warden: WardenInstance) {
  return {
    runsFor: (incident: string) =>
      warden.services.db.select().from(runs).where(eq(runs.incidentId, incident)),
    auditFor: (incident: string) =>
      warden.services.db.select().from(auditEvents).where(eq(auditEvents.incidentId, incident)),
  };
}
