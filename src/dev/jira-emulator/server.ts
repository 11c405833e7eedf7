import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createFaults } from '../kubernetes-emulator/faults.ts';
import { type Account, type Answer, ROUTES } from './routes.ts';
import { createJiraStore } from './store.ts';

/** One request as the fake saw it, for tests to assert on. */
export type JiraCall = { method: string; path: string; status: number; jql?: string; scoped: boolean };

export type JiraEmulatorOptions = {
  cloudId: string;
  /** The site URL `serverInfo` reports (`https://acme.atlassian.net`). */
  site: string;
  projects: string[];
  accounts: Account[];
  /** At most this many requests per window; the next get 429 with Retry-After (the real headers). */
  rateLimit?: { limit: number; windowSeconds: number };
  now?: () => Date;
};

const UNAUTHORIZED = { code: 401, message: 'Unauthorized; scope does not match' };
const MAX_BODY = 1024 * 1024;

/**
 * A fake Jira Cloud for tests: the endpoints Warden's Jira tools use, behind basic auth (email:token) of
 * scoped tokens, reachable only as the API gateway serves them (`/ex/jira/{cloudId}/rest/api/3/…`; the
 * site path answers 401 as Jira does for a scoped token), with request validation, rate limits, faults
 * and a call log.
 */
export function createJiraEmulator(options: JiraEmulatorOptions) {
  const now = options.now ?? (() => new Date());
  const store = createJiraStore({ projects: options.projects, now });
  const faults = createFaults();
  const calls: JiraCall[] = [];
  const prefix = `/ex/jira/${options.cloudId}`;
  let window = { startedAt: 0, count: 0 };
  let server: Server | null = null;
  let url = '';

  function rateLimited(res: ServerResponse): boolean {
    const limit = options.rateLimit;
    if (!limit) return false;
    const at = Date.now();
    if (at - window.startedAt >= limit.windowSeconds * 1000) window = { startedAt: at, count: 0 };
    window.count += 1;
    const resetAt = window.startedAt + limit.windowSeconds * 1000;
    res.setHeader('X-RateLimit-Limit', String(limit.limit));
    res.setHeader('X-RateLimit-Remaining', String(Math.max(0, limit.limit - window.count)));
    if (window.count <= limit.limit) return false;
    res.setHeader('Retry-After', String(Math.max(1, Math.ceil((resetAt - at) / 1000))));
    res.setHeader('X-RateLimit-Reset', new Date(resetAt).toISOString());
    res.setHeader('RateLimit-Reason', 'jira-burst-based');
    return true;
  }

  function accountOf(req: IncomingMessage): Account | null {
    const match = /^Basic ([A-Za-z0-9+/=]+)$/.exec(req.headers.authorization ?? '');
    if (!match?.[1]) return null;
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const [email, token] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
    return options.accounts.find((a) => a.email === email && a.token === token) ?? null;
  }

  async function handle(req: IncomingMessage, res: ServerResponse, raw: string): Promise<Answer> {
    const method = req.method ?? 'GET';
    const target = new URL(req.url ?? '/', 'http://jira.invalid');
    const scoped = target.pathname.startsWith('/ex/jira/');
    const path = scoped ? target.pathname.slice(target.pathname.indexOf('/rest/')) : target.pathname;
    const record = (answer: Answer, jql?: string) => {
      calls.push({ method, path, status: answer.status, scoped, ...(jql === undefined ? {} : { jql }) });
      return answer;
    };
    const delay = faults.latencyFor(method, path);
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    if (rateLimited(res))
      return record({ status: 429, body: { errorMessages: ['Rate limit exceeded.'], errors: {} } });
    const fault = faults.take(method, path);
    if (fault?.kind === 'drop') {
      req.socket.destroy();
      return record({ status: 0 });
    }
    if (fault?.kind === 'error') {
      if (fault.retryAfterSeconds !== undefined)
        res.setHeader('Retry-After', String(fault.retryAfterSeconds));
      return record({
        status: fault.status,
        body: { errorMessages: [fault.message ?? 'Injected failure.'], errors: {} },
      });
    }
    const account = accountOf(req);
    // Scoped tokens work through the gateway only, for the right cloud id; the site path refuses them.
    if (!account || !scoped) return record({ status: 401, body: UNAUTHORIZED });
    if (!target.pathname.startsWith(`${prefix}/rest/`))
      return record({
        status: 404,
        body: { errorMessages: ['No site found for this cloud id.'], errors: {} },
      });
    const route = ROUTES.find((r) => r.method === method && r.pattern.test(path));
    if (!route)
      return record({
        status: 404,
        body: { errorMessages: [`No route for ${method} ${path}.`], errors: {} },
      });
    if (!account.scopes.includes(route.scope)) return record({ status: 401, body: UNAUTHORIZED });
    let body: unknown;
    if (method === 'POST') {
      if (!(req.headers['content-type'] ?? '').startsWith('application/json'))
        return record({ status: 415, body: { errorMessages: ['Unsupported Media Type'], errors: {} } });
      try {
        body = JSON.parse(raw);
      } catch {
        return record({
          status: 400,
          body: { errorMessages: ['Unexpected character in the request body.'], errors: {} },
        });
      }
    }
    const jql =
      typeof (body as { jql?: unknown })?.jql === 'string' ? (body as { jql: string }).jql : undefined;
    const match = route.pattern.exec(path)?.slice(1) ?? [];
    const answer = route.handle(
      {
        method,
        path,
        query: target.searchParams,
        body,
        account,
        store,
        base: `${url}${prefix}`,
        site: options.site,
        now,
      },
      match,
    );
    return record(answer, jql);
  }

  return {
    store,
    faults,
    /** Every request, in order. */
    calls,
    /** `http://127.0.0.1:PORT`: the gateway root; `apiUrl` adds `/ex/jira/{cloudId}`. */
    get url() {
      return url;
    },
    get apiUrl() {
      return `${url}${prefix}`;
    },
    async start(): Promise<{ url: string; apiUrl: string }> {
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
              ? Promise.resolve({ status: 413, body: { errorMessages: ['Request too large.'], errors: {} } })
              : handle(req, res, Buffer.concat(chunks).toString('utf8'));
          answer.then(
            (a) => {
              if (a.status === 0 || res.writableEnded || res.destroyed) return;
              res.statusCode = a.status;
              if (a.body === undefined) return res.end();
              res.setHeader('content-type', 'application/json;charset=UTF-8');
              res.end(JSON.stringify(a.body));
            },
            () => res.writeHead(500).end(),
          );
        });
      });
      await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
      const address = server.address();
      url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      return { url, apiUrl: `${url}${prefix}` };
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
export type JiraEmulator = ReturnType<typeof createJiraEmulator>;
