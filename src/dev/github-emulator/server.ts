import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AuthKind, credentialOf, serveRoute } from './access.ts';
import { type Answer, failure } from './answers.ts';
import { type AppSeed, createTokenRegistry, type InstallationSeed, type InstallationToken } from './auth.ts';
import { createGitHubFaults } from './faults.ts';
import { createRateLimiter } from './rate-limit.ts';
import type { Route } from './route.ts';
import { ACTIONS_ROUTES } from './routes.actions.ts';
import { APP_ROUTES } from './routes.app.ts';
import { ISSUES_ROUTES } from './routes.issues.ts';
import { REPO_ROUTES } from './routes.repos.ts';
import { createGitHubStore } from './store.ts';

/** One request as the fake saw it, for tests to assert on. Never holds a token's value. */
export type GitHubCall = {
  method: string;
  /** The path without query string. */
  path: string;
  /** 0 when the connection was dropped by a fault. */
  status: number;
  auth: AuthKind;
  /** The installation token's id (see `tokens()`), when one was presented and known. */
  tokenId?: number;
  /** The parsed JSON body, when there was one. */
  body?: unknown;
};

export type GitHubEmulatorOptions = {
  apps: AppSeed[];
  installations: InstallationSeed[];
  /** Per installation, per window; default GitHub's 5,000 an hour. Over it: 403 with `x-ratelimit-remaining: 0`. */
  rateLimit?: { limit: number; windowSeconds: number };
  /** The fake's clock (tokens expire after an hour of it; JWTs are checked against it). */
  now?: () => Date;
};

const API_VERSION = '2022-11-28';
const MAX_BODY = 1024 * 1024;
const ROUTES: Route[] = [...APP_ROUTES, ...REPO_ROUTES, ...ACTIONS_ROUTES, ...ISSUES_ROUTES];
const BODY_METHODS = new Set(['POST', 'PATCH', 'PUT']);

const requestId = () => {
  const hex = randomBytes(16).toString('hex').toUpperCase();
  return `${hex.slice(0, 4)}:${hex.slice(4, 9)}:${hex.slice(9, 16)}:${hex.slice(16, 23)}:${hex.slice(23, 31)}`;
};

/**
 * A fake GitHub REST API (version 2022-11-28) as a GitHub App sees it: app JWTs, installation tokens
 * narrowed to repositories and permissions, the endpoints Warden uses, GitHub's refusals, rate limits,
 * faults and a call log. Use its `url` as Octokit's `baseUrl`.
 */
export function createGitHubEmulator(options: GitHubEmulatorOptions) {
  const now = options.now ?? (() => new Date());
  const store = createGitHubStore({ now });
  for (const installation of options.installations)
    for (const fullName of installation.repositories) store.addRepository({ fullName });
  const tokens = createTokenRegistry({ now });
  const faults = createGitHubFaults();
  const limiter = createRateLimiter({ ...(options.rateLimit ?? { limit: 5000, windowSeconds: 3600 }), now });
  const calls: GitHubCall[] = [];
  let server: Server | null = null;
  let url = '';

  async function handle(req: IncomingMessage, raw: string): Promise<Answer> {
    const method = req.method ?? 'GET';
    const target = new URL(req.url ?? '/', 'http://github.invalid');
    const path = target.pathname;
    const header = req.headers.authorization;
    const record = (answer: Answer, auth: AuthKind, body: unknown, tokenId?: number) => {
      calls.push({
        method,
        path,
        status: answer.status,
        auth,
        ...(tokenId === undefined ? {} : { tokenId }),
        ...(body === undefined ? {} : { body }),
      });
      return answer;
    };
    const delay = faults.latencyFor(method, path);
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    let body: unknown;
    let parsed = true;
    if (BODY_METHODS.has(method) && raw.trim() !== '') {
      try {
        body = JSON.parse(raw);
      } catch {
        parsed = false;
      }
    }
    const auth = credentialOf(header).kind;
    const fault = faults.take(method, path);
    if (fault?.kind === 'drop') {
      req.socket.destroy();
      return record({ status: 0 }, auth, body);
    }
    if (fault?.kind === 'error') return record(fault.answer, auth, body);
    if (!parsed) return record(failure(400, 'Problems parsing JSON'), auth, undefined);
    const route = ROUTES.find((r) => r.method === method && r.pattern.test(path));
    const params = (route?.pattern.exec(path)?.slice(1) ?? []).map((p) => decodeURIComponent(p));
    const handled = serveRoute(
      { apps: options.apps, installations: options.installations, tokens, limiter, now },
      route,
      header,
      {
        api: url,
        path,
        query: target.searchParams,
        body,
        params,
        store,
        tokens,
        apps: options.apps,
        installations: options.installations,
        now,
      },
    );
    return record(handled.answer, handled.auth, body, handled.tokenId);
  }

  function respond(res: ServerResponse, answer: Answer): void {
    if (answer.status === 0 || res.writableEnded || res.destroyed) return;
    res.statusCode = answer.status;
    res.setHeader('x-github-api-version-selected', API_VERSION);
    res.setHeader('x-github-media-type', 'github.v3; format=json');
    res.setHeader('x-github-request-id', requestId());
    for (const [name, value] of Object.entries(answer.headers ?? {})) res.setHeader(name, value);
    if (answer.body === undefined) {
      res.end();
      return;
    }
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.end(JSON.stringify(answer.body));
  }

  return {
    store,
    faults,
    /** Every request, in order. */
    calls,
    /** The installation tokens minted so far (id, installation, repositories, permissions, expiry, revocation). */
    tokens: (): InstallationToken[] => tokens.list(),
    /** `http://127.0.0.1:PORT`: Octokit's `baseUrl`. */
    get url() {
      return url;
    },
    async start(): Promise<{ url: string }> {
      server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        req.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= MAX_BODY) chunks.push(c);
        });
        req.on('end', () => {
          const answer =
            size > MAX_BODY
              ? Promise.resolve(failure(413, 'Payload too large'))
              : handle(req, Buffer.concat(chunks).toString('utf8'));
          answer.then(
            (a) => respond(res, a),
            () => respond(res, failure(500, 'Server Error')),
          );
        });
      });
      await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
      const address = server.address();
      url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      return { url };
    },
    async close(): Promise<void> {
      const s = server;
      server = null;
      if (!s) return;
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
}
export type GitHubEmulator = ReturnType<typeof createGitHubEmulator>;
