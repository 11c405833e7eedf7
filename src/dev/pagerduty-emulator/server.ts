import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createPagerDutyStore,
  type EmulatedIncident,
  type EmulatedUser,
  type PagerDutyStore,
} from './store.ts';

/** The media type PagerDuty's REST API v2 serves. */
const ACCEPT = 'application/vnd.pagerduty+json;version=2';

/** One request as the emulator saw it (the call log tests read). */
export type RecordedPagerDutyRequest = {
  method: string;
  path: string;
  authorization: string | null;
  accept: string | null;
  from: string | null;
  body: unknown;
  status: number;
};

type Fault = { method?: string; path?: RegExp; status: number; resetSeconds?: number; remaining: number };

/**
 * An API-faithful fake of PagerDuty's REST API v2, only the endpoints Warden uses: show an incident (by
 * id or number), its alerts, log entries and notes, add a note, acknowledge (`PUT /incidents/{id}`),
 * `GET /oncalls` (now; `escalation_policy_ids[]`, `include[]=users`) and `GET /abilities`. It checks `Authorization: Token token=…`, the v2 `Accept`, and `From` (an account
 * user's e-mail) on writes as the real API does; it rate-limits per token with the real headers
 * (`ratelimit-limit`, `ratelimit-remaining`, `ratelimit-reset`); faults can be queued; every request is logged.
 */
export async function startPagerDutyEmulator({
  token,
  now = () => new Date(),
  rateLimit = { limit: 900, windowSeconds: 60 },
}: {
  token: string;
  now?: () => Date;
  rateLimit?: { limit: number; windowSeconds: number };
}) {
  const store = createPagerDutyStore({ now });
  const calls: RecordedPagerDutyRequest[] = [];
  let faults: Fault[] = [];
  let window = { start: now().getTime(), used: 0 };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://pagerduty.local');
    const method = req.method ?? 'GET';
    const raw = await readBody(req);
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = raw;
    }
    const header = (name: string) => {
      const v = req.headers[name];
      return typeof v === 'string' ? v : null;
    };
    const record = (status: number) =>
      calls.push({
        method,
        path: url.pathname,
        authorization: header('authorization'),
        accept: header('accept'),
        from: header('from'),
        body,
        status,
      });
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      record(status);
      res.writeHead(status, { 'content-type': 'application/json', ...rateHeaders(), ...headers });
      res.end(JSON.stringify(payload));
    };
    const error = (status: number, message: string, code: number, errors?: string[]) =>
      send(status, { error: { message, code, ...(errors ? { errors } : {}) } });

    const fault = faults.find(
      (f) => (!f.method || f.method === method) && (!f.path || f.path.test(url.pathname)),
    );
    if (fault) {
      fault.remaining -= 1;
      faults = faults.filter((f) => f.remaining > 0);
      const headers: Record<string, string> =
        fault.status === 429 ? { 'ratelimit-reset': String(fault.resetSeconds ?? 1) } : {};
      return send(fault.status, { error: { message: 'Injected fault', code: 9999 } }, headers);
    }
    if (header('authorization') !== `Token token=${token}`) return error(401, 'Unauthorized', 2006);
    if (header('accept') !== ACCEPT) return error(406, 'Not Acceptable', 2001, [`Accept must be ${ACCEPT}`]);
    const at = now().getTime();
    if (at - window.start >= rateLimit.windowSeconds * 1_000) window = { start: at, used: 0 };
    if (window.used >= rateLimit.limit) return error(429, 'Rate Limit Exceeded', 2020);
    window.used += 1;

    if (method === 'GET' && url.pathname === '/abilities')
      return send(200, { abilities: ['teams', 'read_only_users', 'urgencies'] });
    if (method === 'GET' && url.pathname === '/oncalls') return send(200, listOncalls(store, url));
    const match = /^\/incidents\/([^/]+)(?:\/(alerts|log_entries|notes))?$/.exec(url.pathname);
    const entry = match?.[1] ? store.find(decodeURIComponent(match[1])) : null;
    if (!match) return error(404, 'Not Found', 2100);
    if (!entry) return error(404, 'Not Found', 2100, ['Incident Not Found']);
    const sub = match[2];
    const limit = Math.min(Number(url.searchParams.get('limit') ?? 25) || 25, 100);
    if (method === 'GET' && !sub) return send(200, { incident: entry.incident });
    if (method === 'GET' && sub === 'alerts')
      return send(200, {
        alerts: entry.alerts.slice(0, limit),
        limit,
        offset: 0,
        more: entry.alerts.length > limit,
      });
    if (method === 'GET' && sub === 'log_entries')
      return send(200, { log_entries: entry.logEntries.slice(0, limit), limit, offset: 0, more: false });
    if (method === 'GET' && sub === 'notes') return send(200, { notes: entry.notes });
    if ((method === 'POST' && sub === 'notes') || (method === 'PUT' && !sub)) {
      const from = header('from');
      if (!from)
        return error(400, 'Invalid Input Provided', 2001, [
          'You must specify a user\'s email address in the "From" header to perform this action',
        ]);
      const user = store.userByEmail(from);
      if (!user) return error(400, 'Invalid Input Provided', 2001, ['Requester User Not Found']);
      return sub === 'notes' ? addNote(entry, user) : update(entry, user);
    }
    return error(405, 'Method Not Allowed', 2001);

    function addNote(target: EmulatedIncident, user: EmulatedUser) {
      const content = (body as { note?: { content?: unknown } } | undefined)?.note?.content;
      if (typeof content !== 'string' || content.length === 0 || content.length > 25_000)
        return error(400, 'Invalid Input Provided', 2001, ['Note content must be 1 to 25000 characters']);
      return send(201, { note: store.addNote({ entry: target, content, user }) });
    }
    function update(target: EmulatedIncident, user: EmulatedUser) {
      const incident = (body as { incident?: { type?: unknown; status?: unknown } } | undefined)?.incident;
      if (incident?.type !== 'incident_reference' && incident?.type !== 'incident')
        return error(400, 'Invalid Input Provided', 2001, ['Incident type must be incident_reference']);
      if (incident.status !== 'acknowledged')
        return error(400, 'Invalid Input Provided', 2001, ['Only acknowledged is emulated']);
      if (target.incident.status === 'resolved')
        return error(400, 'Invalid Input Provided', 2001, ['Incident Already Resolved']);
      return send(200, { incident: store.acknowledge({ entry: target, user }) });
    }
  }

  function rateHeaders(): Record<string, string> {
    const elapsed = (now().getTime() - window.start) / 1_000;
    return {
      'ratelimit-limit': String(rateLimit.limit),
      'ratelimit-remaining': String(Math.max(0, rateLimit.limit - window.used)),
      'ratelimit-reset': String(Math.max(0, Math.ceil(rateLimit.windowSeconds - elapsed))),
    };
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    store,
    /** Every request so far, in order. */
    calls: () => [...calls],
    /** The next `times` requests matching method and path get `status` (429 with `ratelimit-reset`). */
    failNext: ({ times = 1, ...fault }: Omit<Fault, 'remaining'> & { times?: number }) => {
      faults.push({ ...fault, remaining: times });
    },
    /** Drops every queued fault: the account answers normally again. */
    clearFaults: () => {
      faults = [];
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type PagerDutyEmulator = Awaited<ReturnType<typeof startPagerDutyEmulator>>;

/**
 * `GET /oncalls` as of now: filtered by `escalation_policy_ids[]`; each user a reference unless
 * `include[]=users` asks for the full object (with the login e-mail), as the real API answers.
 */
function listOncalls(store: PagerDutyStore, url: URL) {
  const policies = url.searchParams.getAll('escalation_policy_ids[]');
  const fullUsers = url.searchParams.getAll('include[]').includes('users');
  const limit = Math.min(Number(url.searchParams.get('limit') ?? 25) || 25, 100);
  const matching = store
    .oncalls()
    .filter((o) => policies.length === 0 || policies.includes(o.escalationPolicyId));
  const self = (kind: string, id: string) => `https://api.pagerduty.com/${kind}/${id}`;
  return {
    oncalls: matching.slice(0, limit).map((o) => ({
      escalation_policy: {
        id: o.escalationPolicyId,
        type: 'escalation_policy_reference',
        summary: `Escalation policy ${o.escalationPolicyId}`,
        self: self('escalation_policies', o.escalationPolicyId),
      },
      escalation_level: o.level,
      schedule: null,
      user: fullUsers
        ? { id: o.user.id, type: 'user', name: o.user.name, summary: o.user.name, email: o.user.email }
        : { id: o.user.id, type: 'user_reference', summary: o.user.name, self: self('users', o.user.id) },
      start: null,
      end: null,
    })),
    limit,
    offset: 0,
    more: matching.length > limit,
    total: null,
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
