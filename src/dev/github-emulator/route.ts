import type { Answer } from './answers.ts';
import type { AppSeed, InstallationSeed, InstallationToken, TokenRegistry } from './auth.ts';
import type { GitHubStore, Permission, StoredRepository } from './store.ts';

/** What every handler gets: the request and the fake's state. */
export type RouteContext = {
  /** The fake's base URL, for `url` fields and `link` headers. */
  api: string;
  /** The request path without query string (for `link` headers). */
  path: string;
  query: URLSearchParams;
  body: unknown;
  /** The pattern's captures, decoded. */
  params: string[];
  store: GitHubStore;
  tokens: TokenRegistry;
  apps: AppSeed[];
  installations: InstallationSeed[];
  now: () => Date;
};
/** A request authenticated as the app itself (JWT). */
export type AppContext = RouteContext & { app: AppSeed };
/** A request authenticated with an installation token. */
export type TokenContext = RouteContext & {
  app: AppSeed;
  installation: InstallationSeed;
  token: InstallationToken;
};
/** A token request on a repository the token reaches (`params[0]/params[1]`). */
export type RepoContext = TokenContext & { repo: StoredRepository };

type Base = { method: string; pattern: RegExp };
/**
 * An endpoint: who may call it (`jwt`: the app; `token`: any installation token; `repo`: a token that
 * reaches the repository and holds `permission` on it) and what it answers.
 */
export type Route =
  | (Base & { auth: 'jwt'; handle: (c: AppContext) => Answer })
  | (Base & { auth: 'token'; handle: (c: TokenContext) => Answer })
  | (Base & {
      auth: 'repo';
      permission: [name: string, level: Permission];
      handle: (c: RepoContext) => Answer;
    });

/** `^/repos/{owner}/{repo}<rest>$` with owner and repo as the first two captures. */
export const repoPath = (rest: string) => new RegExp(`^/repos/([^/]+)/([^/]+)${rest}$`);
