import type { Octokit } from '@octokit/rest';
import { z } from 'zod';
import type { Clock } from '../shared/clock.ts';
import { isWardenError, wardenError } from '../shared/errors.ts';
import type { Redactor } from '../shared/redact.ts';
import { githubError } from './github.errors.ts';
import { appSchema, installationSchema, installationTokenSchema } from './github.schemas.ts';
import type { GitHubConnection } from './github.types.ts';
import type { Fetch } from './systems.types.ts';

/** What a tool may do with a session's token; GitHub narrows the token to exactly these. */
export type GitHubPermissions = Partial<
  Record<'contents' | 'deployments' | 'actions' | 'issues', 'read' | 'write'>
>;

/** One call's access to one repository, with an installation token minted for it alone. */
export type GitHubSession = {
  owner: string;
  repo: string;
  /** One REST request with the session's token; the answer is checked against `schema`. */
  call: <S extends z.ZodType>(
    route: string,
    params: Record<string, unknown>,
    schema: S,
  ) => Promise<z.infer<S>>;
  /** Revokes the token (`DELETE /installation/token`; one already dead is fine) and forgets it. */
  close: () => Promise<void>;
};

export type GitHubAccess = {
  connection: string;
  /**
   * Mints an installation token narrowed to `repository` and `permissions` for one call of a proposal, and
   * registers it with the redactor at once. Always `close()` the session, in `finally`.
   */
  session: (options: {
    repository: string;
    permissions: GitHubPermissions;
    proposalId: string;
    signal?: AbortSignal;
  }) => Promise<GitHubSession>;
  /** Revokes the tokens of these proposals' calls in flight in this process (the kill switch). */
  revokeForProposals: (proposalIds: readonly string[]) => Promise<void>;
  /** A harmless check for `warden connections check`: the App's own JWT reads the App. */
  ping: (options?: { signal?: AbortSignal }) => Promise<string>;
};

/** Time allowed for one request to GitHub. */
export const GITHUB_TIMEOUT_MS = 15_000;

/** How long a repository's installation id is remembered. */
const INSTALLATION_TTL_MS = 10 * 60_000;

/** Octokit logs deprecations and request errors to the console; Warden reports failures itself. */
const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** `@octokit/rest` and `@octokit/auth-app` load with the first call to GitHub, never at start-up. */
const octokitModules = async () => {
  const [{ Octokit }, { createAppAuth }] = await Promise.all([
    import('@octokit/rest'),
    import('@octokit/auth-app'),
  ]);
  return { Octokit, createAppAuth };
};

/**
 * Access to the repositories of one GitHub App installation. The App's private key only signs the App's
 * own JWT, which only mints installation tokens; tools act with those, each narrowed to one repository and
 * the permissions its tool needs, revoked when the call ends (or the kill switch fires), and dead after an
 * hour regardless. Tokens are minted by Warden itself, never through `@octokit/auth-app`'s cache, which
 * would hand one token to two concurrent calls.
 */
export function createGitHubAccess({
  connection,
  redactor,
  clock,
  fetch: fetchImpl,
  timeoutMs = GITHUB_TIMEOUT_MS,
}: {
  connection: GitHubConnection;
  redactor: Redactor;
  clock: Clock;
  fetch?: Fetch;
  timeoutMs?: number;
}): GitHubAccess {
  redactor.addSecret(connection.privateKey);
  const base = { baseUrl: connection.url, log: quiet, request: fetchImpl ? { fetch: fetchImpl } : {} };
  let app: Octokit | null = null;
  const appClient = async (): Promise<Octokit> => {
    if (app) return app;
    const { Octokit, createAppAuth } = await octokitModules();
    const noCache = { get: async () => undefined, set: async () => {} };
    app = new Octokit({
      ...base,
      authStrategy: createAppAuth,
      auth: { appId: connection.appId, privateKey: connection.privateKey, cache: noCache },
    });
    return app;
  };
  const installations = new Map<string, { id: number; until: number }>();
  const live = new Map<string, Set<GitHubSession>>();

  /** One request, bounded in time, its answer parsed; every failure becomes a coded error. */
  async function send<S extends z.ZodType>(input: {
    client: Octokit;
    route: string;
    params: Record<string, unknown>;
    schema: S;
    signal?: AbortSignal;
  }): Promise<z.infer<S>> {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = input.signal ? AbortSignal.any([input.signal, timeout]) : timeout;
    let data: unknown;
    try {
      ({ data } = await input.client.request(input.route, { ...input.params, request: { signal } }));
    } catch (error) {
      const aborted = input.signal?.aborted ?? false;
      throw githubError({ connection: connection.name, error, timeoutMs, aborted, now: clock.now() });
    }
    const parsed = input.schema.safeParse(data ?? {});
    if (!parsed.success)
      throw wardenError({
        code: 'system.bad_response',
        message: `${connection.name} answered ${input.route.split(' ')[1]} with something Warden does not read.`,
        details: { connection: connection.name },
      });
    return parsed.data;
  }

  async function installationOf(owner: string, repo: string, signal?: AbortSignal): Promise<number> {
    if (connection.installationId !== null) return connection.installationId;
    const key = `${owner}/${repo}`.toLowerCase();
    const known = installations.get(key);
    if (known && known.until > clock.now().getTime()) return known.id;
    const client = await appClient();
    const { id } = await send({
      client,
      route: 'GET /repos/{owner}/{repo}/installation',
      params: { owner, repo },
      schema: installationSchema,
      signal,
    });
    installations.set(key, { id, until: clock.now().getTime() + INSTALLATION_TTL_MS });
    return id;
  }

  async function session({
    repository,
    permissions,
    proposalId,
    signal,
  }: {
    repository: string;
    permissions: GitHubPermissions;
    proposalId: string;
    signal?: AbortSignal;
  }): Promise<GitHubSession> {
    const [owner = '', repo = ''] = repository.split('/');
    const installationId = await installationOf(owner, repo, signal);
    // The mint is never cancelled half-way: a token GitHub made whose answer was dropped could not be
    // revoked (only its holder can). A cancellation that came meanwhile revokes it right below.
    const minted = await send({
      client: await appClient(),
      route: 'POST /app/installations/{installation_id}/access_tokens',
      params: { installation_id: installationId, repositories: [repo], permissions },
      schema: installationTokenSchema,
    });
    const token = minted.token;
    redactor.addSecret(token);
    const { Octokit } = await octokitModules();
    const client = new Octokit({ ...base, auth: token });
    const revoke = async () => {
      try {
        // Revocation never carries the caller's signal: the kill switch must not stop its own clean-up.
        await send({
          client,
          route: 'DELETE /installation/token',
          params: {},
          schema: z.unknown(),
        });
      } catch (error) {
        // 401: the token is dead already (revoked by another path, or expired).
        if (!isWardenError(error, 'system.unauthorized')) throw error;
      }
    };
    let closed = false;
    const opened: GitHubSession = {
      owner,
      repo,
      call: async (route, params, schema) => {
        if (closed)
          throw wardenError({
            code: 'tools.aborted',
            message: `The call to ${connection.name} was cancelled.`,
          });
        return send({ client, route, params: { owner, repo, ...params }, schema, signal });
      },
      close: async () => {
        if (closed) return;
        closed = true;
        try {
          await revoke();
        } catch (error) {
          closed = false;
          throw error;
        }
        const sessions = live.get(proposalId);
        sessions?.delete(opened);
        if (sessions?.size === 0) live.delete(proposalId);
        // Only a revoked token is forgotten: one whose revocation failed lives on for up to an hour.
        redactor.forgetSecret(token);
      },
    };
    const sessions = live.get(proposalId) ?? new Set<GitHubSession>();
    sessions.add(opened);
    live.set(proposalId, sessions);
    if (signal?.aborted) {
      await opened.close();
      throw wardenError({ code: 'tools.aborted', message: `The call to ${connection.name} was cancelled.` });
    }
    return opened;
  }

  async function revokeForProposals(proposalIds: readonly string[]): Promise<void> {
    const sessions = proposalIds.flatMap((id) => [...(live.get(id) ?? [])]);
    const results = await Promise.allSettled(sessions.map((s) => s.close()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  return {
    connection: connection.name,
    session,
    revokeForProposals,
    ping: async ({ signal } = {}) => {
      const found = await send({
        client: await appClient(),
        route: 'GET /app',
        params: {},
        schema: appSchema,
        signal,
      });
      const granted = Object.entries(found.permissions ?? {})
        .map(([name, level]) => `${name}:${level}`)
        .sort()
        .join(', ');
      return `GitHub App ${found.slug ?? found.name} (id ${found.id}) answers${granted ? `; it may ${granted}` : ''}`;
    },
  };
}
