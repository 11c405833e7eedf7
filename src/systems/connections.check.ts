import { checkCatalogDir } from '../catalog/catalog.loader.ts';
import type { Output } from '../policy/charter.cli.ts';
import { createManualClock } from '../shared/clock.ts';
import { isWardenError } from '../shared/errors.ts';
import { createRedactor } from '../shared/redact.ts';
import { type ReadSecretFile, resolveConnections } from './connections.ts';
import { createSystems } from './systems.ts';
import type { Fetch } from './systems.types.ts';

export type ConnectionCheck = { connection: string; kind: string; ok: boolean; message: string };

/** How long one connection's check may take before it is reported as not answering. */
export const CHECK_TIMEOUT_MS = 10_000;

/**
 * Checks every connection of a catalog directory: its secret can be read, and one harmless read on the
 * system works (Prometheus build info, Alertmanager status, the cluster's answer to what the broker may
 * do). Each line says exactly what is wrong; no secret is ever printed.
 */
export async function checkConnections({
  dir,
  env,
  fetch,
  readFile,
  timeoutMs = CHECK_TIMEOUT_MS,
}: {
  dir: string;
  env: Readonly<Record<string, string | undefined>>;
  fetch?: Fetch;
  readFile?: ReadSecretFile;
  timeoutMs?: number;
}): Promise<{ checks: ConnectionCheck[]; catalogProblems: string[] }> {
  const checked = checkCatalogDir({ dir });
  if (!checked.catalog) {
    const problems = [...checked.files.flatMap((f) => f.problems), ...checked.problems];
    return { checks: [], catalogProblems: problems };
  }
  const catalog = checked.catalog;
  const redactor = createRedactor();
  const resolved = resolveConnections({ catalog, env, redactor, ...(readFile ? { readFile } : {}) });
  const systems = createSystems({
    connections: resolved.connections,
    redactor,
    clock: createManualClock(new Date()),
    fetch,
  });
  const all = systems.all();
  const clients = [
    ...all.kubernetes,
    ...all.prometheus,
    ...all.alertmanager,
    ...all.pagerduty,
    ...all.jira,
    ...all.github,
    ...all.runbooks,
  ];
  const kinds = catalog.connections();
  const pinged = await Promise.all(
    clients.map(async (client): Promise<ConnectionCheck> => {
      const kind = kinds[client.connection]?.kind ?? 'unknown';
      const signal = AbortSignal.timeout(timeoutMs);
      try {
        const answer = await client.ping({ signal });
        return { connection: client.connection, kind, ok: true, message: redactor.redactText(answer) };
      } catch (error) {
        // Our own time limit cancels the call: say it did not answer, not that someone cancelled it.
        const message =
          signal.aborted && isWardenError(error, 'tools.aborted')
            ? `${client.connection} did not answer within ${timeoutMs} ms.`
            : isWardenError(error)
              ? error.message
              : `unexpected failure (${error instanceof Error ? error.name : 'unknown'})`;
        return { connection: client.connection, kind, ok: false, message: redactor.redactText(message) };
      }
    }),
  );
  // A connection can have more than one problem (its token and its CA file): one line for it all the same.
  const problemsOf = new Map<string, string[]>();
  for (const p of resolved.problems)
    problemsOf.set(p.connection, [...(problemsOf.get(p.connection) ?? []), p.message]);
  const unresolved = [...problemsOf].map(([connection, messages]) => ({
    connection,
    kind: kinds[connection]?.kind ?? 'unknown',
    ok: false,
    message: redactor.redactText(messages.join('; ')),
  }));
  const checks = [...pinged, ...unresolved].sort((a, b) => a.connection.localeCompare(b.connection));
  return { checks, catalogProblems: [] };
}

/** `warden connections check`: one line per connection; exit code 1 when any is not usable. */
export async function connectionsCheckCommand({
  dir,
  env,
  out,
  fetch,
}: {
  dir: string;
  env: Readonly<Record<string, string | undefined>>;
  out: Output;
  fetch?: Fetch;
}): Promise<number> {
  const { checks, catalogProblems } = await checkConnections({ dir, env, fetch });
  if (catalogProblems.length > 0) {
    out.write(`✗ the catalog in ${dir} is invalid (npx warden catalog validate --dir ${dir}):\n`);
    for (const problem of catalogProblems) out.write(`    ${problem}\n`);
    return 1;
  }
  if (checks.length === 0) {
    out.write(`no connections in ${dir}: only the sandbox's tools can be used\n`);
    return 0;
  }
  for (const check of checks)
    out.write(`${check.ok ? '✓' : '✗'} ${check.connection} (${check.kind}): ${check.message}\n`);
  const failed = checks.filter((c) => !c.ok).length;
  out.write(
    failed === 0
      ? `all ${checks.length} connections work\n`
      : `${failed} of ${checks.length} connections do not work\n`,
  );
  return failed === 0 ? 0 : 1;
}
