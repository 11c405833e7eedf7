import { type Answer, failure, notFound } from './answers.ts';
import { type AppSeed, allows, type InstallationSeed, type TokenRegistry, verifyAppJwt } from './auth.ts';
import type { createRateLimiter } from './rate-limit.ts';
import type { AppContext, RepoContext, Route, RouteContext, TokenContext } from './route.ts';

// Who is calling and what they may do, in the order GitHub checks it: credentials (401), then the rate
// limit, then whether the token reaches the repository (404) and holds the permission (403).

export type AuthKind = 'jwt' | 'installation_token' | 'none';
type Credential =
  | { kind: 'none' }
  | { kind: 'jwt'; jwt: string }
  | { kind: 'installation_token'; value: string };

export const BAD_CREDENTIALS = 'Bad credentials';
const NOT_ACCESSIBLE = 'Resource not accessible by integration';

/** Reads `Authorization: Bearer <jwt>` or `token|Bearer ghs_…`. */
export function credentialOf(header: string | undefined): Credential {
  const match = /^(?:bearer|token)\s+(\S+)$/i.exec(header?.trim() ?? '');
  const value = match?.[1];
  if (!value) return { kind: 'none' };
  if (value.split('.').length === 3 && !value.startsWith('gh')) return { kind: 'jwt', jwt: value };
  return { kind: 'installation_token', value };
}

type Deps = {
  apps: AppSeed[];
  installations: InstallationSeed[];
  tokens: TokenRegistry;
  limiter: ReturnType<typeof createRateLimiter>;
  now: () => Date;
};
/** The route's answer, with the caller's identity for the call log and the headers to add. */
export type Handled = { answer: Answer; auth: AuthKind; tokenId?: number };

export function serveRoute(
  deps: Deps,
  route: Route | undefined,
  header: string | undefined,
  c: RouteContext,
): Handled {
  const credential = credentialOf(header);
  const auth = credential.kind;
  if (credential.kind === 'none')
    return { auth, answer: route ? failure(401, 'Requires authentication') : notFound() };
  if (credential.kind === 'jwt') {
    const verified = verifyAppJwt({ jwt: credential.jwt, apps: deps.apps, now: deps.now });
    if (!verified.ok) return { auth, answer: failure(401, verified.message) };
    if (!route) return { auth, answer: notFound() };
    if (route.auth !== 'jwt') return { auth, answer: failure(403, NOT_ACCESSIBLE) };
    const context: AppContext = { ...c, app: verified.app };
    return { auth, answer: route.handle(context) };
  }
  const token = deps.tokens.find(credential.value);
  if (!token) return { auth, answer: failure(401, BAD_CREDENTIALS) };
  const tokenId = token.id;
  const installation = deps.installations.find((i) => i.id === token.installationId);
  const app = deps.apps.find((a) => a.id === installation?.appId);
  if (!installation || !app) return { auth, tokenId, answer: failure(401, BAD_CREDENTIALS) };
  const limit = deps.limiter.take(installation.id);
  const withLimit = (answer: Answer): Handled => ({
    auth,
    tokenId,
    answer: { ...answer, headers: { ...limit.headers, ...answer.headers } },
  });
  if (limit.exceeded)
    return withLimit(failure(403, `API rate limit exceeded for installation ID ${installation.id}.`));
  if (!route) return withLimit(notFound());
  // GitHub answers a JWT-only endpoint called with an installation token as an undecodable JWT.
  if (route.auth === 'jwt') return withLimit(failure(401, 'A JSON web token could not be decoded'));
  const context: TokenContext = { ...c, app, installation, token };
  if (route.auth === 'token') return withLimit(route.handle(context));
  const fullName = `${c.params[0]}/${c.params[1]}`.toLowerCase();
  const repo = c.store.repository(fullName);
  if (!repo || !token.repositories.some((r) => r.toLowerCase() === fullName)) return withLimit(notFound());
  const [name, level] = route.permission;
  if (!allows(token.permissions[name], level)) return withLimit(failure(403, NOT_ACCESSIBLE));
  const repoContext: RepoContext = { ...context, repo };
  return withLimit(route.handle(repoContext));
}
