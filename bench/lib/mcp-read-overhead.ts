/**
 * What Warden's MCP gateway adds to an allowed read: the get_incident tool function called directly, and
 * called by the official SDK client over Streamable HTTP on loopback (JSON-RPC, bearer check, the guard),
 * in alternation in one run (DESIGN §6: an allowed read by an MCP client, ≤ 2 ms p50 over the bare call).
 * The MCP call is also timed where it passes through the server (the `POST /mcp` request, received to
 * answered) and through the guard, so the miss says which part costs what.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { createHttpServer, type Handler } from '../../src/app/http.ts';
import { buildMcpGateway, mcpRoutes } from '../../src/app/mcp-gateway.ts';
import type { Services } from '../../src/app/services.ts';
import { createMcpClientToken } from '../../src/mcp/mcp-tokens.usecases.ts';
import type { FigureContext } from './figure.ts';
import { bareGetIncident, timeAlternating } from './read-overhead.ts';
import { latencySummary } from './stats.ts';
import { people } from './warden.ts';

const TARGET_MS = 2;
/** A session is one run, within the charter's budget of tool calls (30 for triage): a new one before. */
const CALLS_PER_SESSION = 25;

/** Times the bare tool and the MCP client's read in alternation; reports p50/p99 and the overhead. */
export async function measureMcpReadOverhead({
  services,
  report,
  log,
}: {
  services: Services;
  report: FigureContext['report'];
  log: FigureContext['log'];
}): Promise<void> {
  const parts = timedParts();
  const gateway = buildMcpGateway({ services: { ...services, guard: parts.guard(services.guard) } });
  const routes = mcpRoutes(gateway);
  const server = createHttpServer({ routes: { ...routes, 'POST /mcp': parts.server(routes['POST /mcp']) } });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const url = new URL(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/mcp`);
  const created = await createMcpClientToken({
    deps: services,
    charters: services.charters,
    input: { agent: 'triage', onBehalfOf: people.oncall, createdBy: 'bench' },
  });
  if (!created.ok) throw new Error(created.message);
  const sessions = sessionsOf({ url, token: created.token });
  const bare = bareGetIncident({ services });
  const viaMcp = async () => {
    const client = await sessions.next();
    const result = (await parts.during(() =>
      client.callTool({
        name: 'get_incident',
        arguments: { incident_id: 'INC-124', environment: 'staging' },
      }),
    )) as CallToolResult;
    if (result.isError)
      throw new Error(`get_incident through MCP did not run: ${JSON.stringify(result.content)}`);
  };
  try {
    // A new session (outside the timing) when the current one nears its run's budget.
    const { samples } = await timeAlternating({
      bare,
      other: viaMcp,
      beforeOther: async () => {
        parts.measuring();
        await sessions.ready();
      },
    });
    const b = latencySummary(samples.bare);
    const m = latencySummary(samples.other);
    log(
      `bare get_incident p50 ${b.p50.toFixed(2)} ms; through MCP (SDK client, Streamable HTTP) p50 ` +
        `${m.p50.toFixed(2)} ms p99 ${m.p99.toFixed(2)} ms (${b.n} pairs)`,
    );
    const overhead = m.p50 - b.p50;
    const split = parts.split({ client: m.p50, bare: b.p50 });
    report({
      metric: 'allowed read by an MCP client (HTTP), overhead over the bare tool call, p50',
      unit: 'ms',
      ours: overhead,
      baseline: b.p50,
      baselineLabel: 'bare tool call',
      ratio: b.p50 > 0 ? m.p50 / b.p50 : null,
      target: `≤ ${TARGET_MS} ms`,
      pass: overhead <= TARGET_MS,
      note: `${overhead <= TARGET_MS ? '' : `MISS, limited by ${split}; `}p50 ${m.p50.toFixed(2)} ms vs ${b.p50.toFixed(2)} ms bare; p99 ${m.p99.toFixed(2)} ms; one session per ${CALLS_PER_SESSION} calls (a session is a run); ${b.n} pairs`,
    });
  } finally {
    await sessions.close();
    await gateway.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** MCP sessions used for CALLS_PER_SESSION calls each; `ready()` opens the next one when it is due. */
function sessionsOf({ url, token }: { url: URL; token: string }) {
  let current: Client | null = null;
  let used = 0;
  const open = async () => {
    const client = new Client({ name: 'warden-bench', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(url, {
        requestInit: { headers: { Authorization: `Bearer ${token}` } },
      }),
    );
    return client;
  };
  const end = async (client: Client) => {
    await (client.transport as StreamableHTTPClientTransport).terminateSession().catch(() => {});
    await client.close();
  };
  const ready = async () => {
    if (current && used < CALLS_PER_SESSION) return;
    if (current) await end(current);
    current = await open();
    used = 0;
  };
  return {
    ready,
    next: async () => {
      await ready();
      used += 1;
      return current as Client;
    },
    close: async () => {
      if (current) await end(current);
    },
  };
}

/**
 * The parts of an MCP call, timed while `during` runs one once `measuring()` was called (the warm-up is
 * not counted, as the client's own samples do not count it): the server's handling of its `POST /mcp`
 * (request received to response finished) and the guard's `propose` inside it. Session set-up is outside.
 */
function timedParts() {
  let measuring = false;
  let timing = false;
  const server: number[] = [];
  const guard: number[] = [];
  return {
    measuring: () => {
      measuring = true;
    },
    during: async <T>(call: () => Promise<T>): Promise<T> => {
      timing = measuring;
      try {
        return await call();
      } finally {
        timing = false;
      }
    },
    server: (handler: Handler | undefined): Handler => {
      if (!handler) throw new Error('no POST /mcp route');
      return (req, res) => {
        const start = performance.now();
        if (timing) res.once('finish', () => server.push(performance.now() - start));
        return handler(req, res);
      };
    },
    guard: (inner: Services['guard']): Services['guard'] => ({
      ...inner,
      propose: async (input) => {
        const start = performance.now();
        try {
          return await inner.propose(input);
        } finally {
          if (timing) guard.push(performance.now() - start);
        }
      },
    }),
    /** Where the client's p50 goes, from each part's p50: the guard, the server around it, the client side. */
    split: ({ client, bare }: { client: number; bare: number }): string => {
      const s = latencySummary(server).p50;
      const g = latencySummary(guard).p50;
      return (
        `the guard (${(g - bare).toFixed(2)} ms over the bare call: its round trips, as the row above), the MCP SDK's ` +
        `server and HTTP around it (${(s - g).toFixed(2)} ms: JSON-RPC, the bearer check, the SSE answer) and the ` +
        `SDK client with fetch, in this process (${(client - s).toFixed(2)} ms); p50 of each part`
      );
    },
  };
}
