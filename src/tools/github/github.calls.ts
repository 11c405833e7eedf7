import type { z } from 'zod';
import type { GitHubEnvironmentSpec } from '../../catalog/catalog.github.schemas.ts';
import type { ServiceTarget } from '../../catalog/catalog.ts';
import { clipAtWord } from '../../shared/clip.ts';
import { type WardenError, wardenError } from '../../shared/errors.ts';
import type { GitHubPermissions, GitHubSession } from '../../systems/github.access.ts';
import { type CatalogCall, connectionUnavailable } from '../catalog.calls.ts';
import type { ToolDefinition, ToolInfo, ToolResult, VerifiedEffect } from '../define.ts';
import { sessionTool } from '../session-tool.ts';
import type { ToolDeps } from '../tool-spec.ts';

/** What a GitHub tool's body receives: the catalog call, the repository's spec and a session for it. */
export type GitHubCall<Input> = CatalogCall<Input> & {
  repository: GitHubEnvironmentSpec;
  github: GitHubSession;
};

type GitHubToolInfo<Input extends { service: string }> = Omit<ToolInfo, 'input'> & {
  input: z.ZodType<Input>;
};

/** A refusal because the catalog names no GitHub repository for the service here. */
export function noRepository(target: ServiceTarget): WardenError {
  return wardenError({
    code: 'catalog.no_system',
    message: `The service catalog names no GitHub repository for ${target.service} in ${target.environment}.`,
    details: { service: target.service, environment: target.environment, system: 'github' },
  });
}

/**
 * A tool acting on the service's GitHub repository, which the catalog names (never an argument). Each
 * call gets an installation token minted for that repository alone with `permissions` (`verifyPermissions`
 * for `verify`, read-only), revoked when the body ends whatever happened (`sessionTool`).
 */
export function githubTool<Input extends { service: string }>({
  info,
  deps,
  permissions,
  verifyPermissions,
  run,
  verify,
}: {
  info: GitHubToolInfo<Input>;
  deps: ToolDeps;
  permissions: GitHubPermissions;
  verifyPermissions?: GitHubPermissions;
  run: (call: GitHubCall<Input>) => Promise<ToolResult>;
  verify?: (call: GitHubCall<Input>) => Promise<VerifiedEffect>;
}): ToolDefinition {
  const open = async (call: CatalogCall<Input>, wanted: GitHubPermissions): Promise<GitHubCall<Input>> => {
    const repository = call.target.systems.github;
    if (!repository) throw noRepository(call.target);
    const access = deps.systems.github(repository.connection);
    if (!access) throw connectionUnavailable({ connection: repository.connection });
    const github = await access.session({
      repository: repository.repository,
      permissions: wanted,
      proposalId: call.context.proposalId,
      signal: call.context.signal,
    });
    return { ...call, repository, github };
  };
  return sessionTool<Input, GitHubCall<Input>>({
    info,
    deps,
    open: (call, purpose) =>
      open(call, purpose === 'verify' ? (verifyPermissions ?? permissions) : permissions),
    close: (call) => call.github.close(),
    credential: { name: 'GitHub installation token', life: 'within an hour' },
    run,
    ...(verify ? { verify } : {}),
  });
}

/** The hidden marker a created issue or comment carries: the proposal's idempotency key, looked up first. */
export function githubMarker(key: string): string {
  return `<!-- warden:idempotency-key=${key.replace(/[^A-Za-z0-9_.:-]/g, '-')} -->`;
}

/** The first line of a commit message, cut at a word (`clipAtWord`: never half a secret). */
export function firstLine(message: string, max = 120): string {
  return clipAtWord(message.split('\n', 1)[0] ?? '', max);
}
