import type { Logger } from '../shared/logger.ts';

/** SIGTERM to exit, whatever the database or the work in flight is doing: well inside the usual 30 s grace. */
export const SHUTDOWN_GRACE_MS = 10_000;

type Step = () => Promise<unknown>;

/**
 * An unhandled rejection is logged (through the scrubbing logger) and the thread keeps serving: every request
 * and step already fails closed on its own. The run worker thread installs it too: without it, Node ends a
 * worker thread on its first unhandled rejection.
 */
export function carryOnAfterUnhandledRejections({ logger }: { logger: Logger }): void {
  process.on('unhandledRejection', (reason) => {
    logger.error({ err: reason }, 'a promise rejected with nobody to handle it; carrying on');
  });
}

/**
 * The process's own guards: an unhandled rejection is logged (through the scrubbing logger) and the instance
 * keeps serving, since every request and step already fails closed on its own; SIGINT/SIGTERM run the
 * shutdown steps (the last added first) and exit, or exit anyway after `graceMs` — what was interrupted is
 * left for recovery exactly as after a crash. A second signal exits at once. An uncaught exception still
 * ends the instance (its state is unknown), logged once.
 */
export function onShutdownSignals({
  logger,
  graceMs = SHUTDOWN_GRACE_MS,
}: {
  logger: Logger;
  graceMs?: number;
}) {
  const steps: Step[] = [];
  const firstSteps: Step[] = [];
  let stopping = false;
  carryOnAfterUnhandledRejections({ logger });
  process.once('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught error; stopping this instance');
    process.exit(1);
  });
  const stop = async (signal: string) => {
    if (stopping) {
      logger.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    logger.info(`${signal}: stopping (at most ${graceMs / 1000} s)`);
    const hard = setTimeout(() => {
      logger.error(
        `still stopping after ${graceMs / 1000} s: exiting; interrupted work is left for recovery`,
      );
      process.exit(1);
    }, graceMs);
    for (const step of [...firstSteps, ...[...steps].reverse()]) {
      await step().catch((error: unknown) => logger.warn({ err: error }, 'a shutdown step failed'));
    }
    clearTimeout(hard);
    logger.info('Warden stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  return {
    /** Adds a step; steps run last-added first. */
    add: (step: Step) => {
      steps.push(step);
    },
    /** Adds a step that runs before the others (stop taking requests). */
    first: (step: Step) => {
      firstSteps.push(step);
    },
    /** Whether a signal has started the shutdown (start-up stops waiting then). */
    stopping: () => stopping,
  };
}
