import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { scanToolOutput } from '../../../src/agents/injection-detector.ts';
import { isWardenError } from '../../../src/shared/errors.ts';
import { databaseKinds, useTestDatabase } from '../../helpers/database.ts';
import { rowsOf } from '../../helpers/secret-sinks.ts';
import { createTestServices, type TestServices } from '../../helpers/services.ts';
import { waitFor } from '../../helpers/slack-harness.ts';
import { approverFor, people } from '../guard/fixtures.ts';
import { fixtureFiles, hashesFrom, inventoryCharter, mcpCatalog } from './mcp-provider.harness.ts';

// Tools imported from a real MCP server process (the fixture in test/fixtures/mcp-servers) behind the guard.

let pins: { lookup: string; wipe: string; changedLookup: string };

beforeAll(async () => {
  const files = fixtureFiles();
  const original = await hashesFrom({ command: process.execPath, args: files.args() });
  const changed = await hashesFrom({ command: process.execPath, args: files.args({ changed: true }) });
  pins = { lookup: original.lookup!, wipe: original.wipe!, changedLookup: changed.lookup! };
  expect(pins.lookup).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(pins.changedLookup).not.toBe(pins.lookup);
}, 60_000);

const charterFor = () =>
  inventoryCharter({
    inventory_lookup: `{ mcp: { pin: "${pins.lookup}", kind: read, risk: low }, environments: { production: allow } }`,
    // The server calls it destructive; the charter alone decides: a high-risk write, approved by one person.
    inventory_wipe: `{ mcp: { pin: "${pins.wipe}", kind: write, risk: high }, environments: { production: { approve: { count: 1, from: [approvers] } } } }`,
  });

describe.each(databaseKinds)('MCP servers as tool providers on %s', (kind) => {
  const database = useTestDatabase(kind);

  async function start({ changed = false, perCall = false } = {}) {
    const files = fixtureFiles();
    const catalog = mcpCatalog({
      inventory: {
        kind: 'mcp',
        command: process.execPath,
        args: files.args({ changed }),
        tools: { inventory_lookup: { tool: 'lookup' }, inventory_wipe: { tool: 'wipe' } },
        connect_timeout_ms: 20_000,
        ...(perCall ? { start: 'per_call' } : {}),
      },
    });
    const services = await createTestServices({ database, charters: [charterFor()], catalog });
    return { services, files };
  }

  const propose = (services: TestServices, tool: string, args: Record<string, unknown>) =>
    services.guard.propose({
      agent: 'inventory',
      tool,
      args,
      environment: 'production',
      requester: people.oncall,
      source: 'planner',
    });

  it('runs an imported read the charter allows, and its result goes through redaction and the detector', async () => {
    const { services, files } = await start();
    try {
      const info = services.registry.get('inventory_lookup');
      expect(info).toMatchObject({ kind: 'read', risk: 'low', reversible: false });
      expect(info?.description).toContain("The server's description (untrusted)");
      expect(info?.description).toContain('Server hints, not policy: readOnly');
      const outcome = await propose(services, 'inventory_lookup', { key: 'alpha' });
      expect(outcome.decision).toMatchObject({ decision: 'allow' });
      expect(outcome.execution).toMatchObject({ status: 'succeeded' });
      expect(JSON.stringify(outcome.execution)).toContain('value of alpha: 42');
      expect(files.calls()).toEqual(['lookup {"key":"alpha"}']);
      // The schema is the server's: an argument it does not know, or a wrong type, is refused before any call.
      const bad = await propose(services, 'inventory_lookup', { key: 7 });
      expect(bad.decision).toMatchObject({ decision: 'deny', reasonCode: 'invalid_arguments' });
      const poisoned = await propose(services, 'inventory_lookup', { key: 'poison' });
      expect(poisoned.execution).toMatchObject({ status: 'succeeded' });
      const [row] = await rowsOf(
        services.db,
        sql`select result from proposals where id = ${poisoned.proposal.id}`,
      );
      expect(scanToolOutput({ output: row?.result })).not.toBeNull();
      expect(files.calls()).toHaveLength(2);
    } finally {
      await services.close();
    }
  });

  it('holds a destructive write for approval and sends it only once it is approved', async () => {
    const { services, files } = await start();
    try {
      const { proposal, decision } = await propose(services, 'inventory_wipe', { prefix: 'tmp/' });
      expect(decision).toMatchObject({ decision: 'needs_approval' });
      expect(files.calls()).toEqual([]);
      const approved = await services.approvals.decideOnProposal({
        proposalId: proposal.id,
        approver: approverFor(services.charters.get('inventory')!, people.approver1),
        decision: 'approve',
      });
      expect(approved.outcome).toBe('approved');
      await waitFor(() => files.calls().length > 0, {
        what: 'the wipe to reach the server',
        timeoutMs: 30_000,
      });
      expect(files.calls()).toEqual(['wipe {"prefix":"tmp/"}']);
      const [row] = await rowsOf(services.db, sql`select state from proposals where id = ${proposal.id}`);
      expect(row?.state).toBe('succeeded');
    } finally {
      await services.close();
    }
  });

  it('disables a tool whose definition differs from the pin when Warden starts', async () => {
    const { services, files } = await start({ changed: true });
    try {
      const outcome = await propose(services, 'inventory_lookup', { key: 'alpha' });
      expect(outcome.decision).toMatchObject({ decision: 'deny', reasonCode: 'tool_disabled' });
      expect(outcome.decision.message).toContain('MCP server inventory');
      expect(outcome.decision.message).toContain(`pinned ${pins.lookup}, now ${pins.changedLookup}`);
      expect(outcome.decision.message).toContain('re-pin');
      // The unchanged tool of the same server stays usable.
      expect(services.registry.unavailable('inventory_wipe')).toBeNull();
      expect(files.calls()).toEqual([]);
    } finally {
      await services.close();
    }
  });

  it('refuses an approved write whose definition changed (list_changed) before it ran', async () => {
    const { services, files } = await start();
    try {
      const { proposal } = await propose(services, 'inventory_wipe', { prefix: 'tmp/' });
      files.signal('SIGUSR2');
      // First "being read again" (stale), then the comparison with the pin.
      const why = await waitFor(() => services.registry.unavailable('inventory_wipe')?.includes('pinned'), {
        what: 'the changed wipe to be disabled',
        timeoutMs: 30_000,
      });
      expect(why).toBe(true);
      expect(services.registry.unavailable('inventory_wipe')).toContain(`pinned ${pins.wipe}, now sha256:`);
      const approved = await services.approvals.decideOnProposal({
        proposalId: proposal.id,
        approver: approverFor(services.charters.get('inventory')!, people.approver1),
        decision: 'approve',
      });
      // Refused when the approval claims it, before a credential or the server is touched.
      expect(approved).toMatchObject({
        outcome: 'approved',
        execution: { status: 'refused', reasonCode: 'tool_disabled' },
      });
      const [row] = await rowsOf(
        services.db,
        sql`select state, state_reason from proposals where id = ${proposal.id}`,
      );
      expect(row).toMatchObject({ state: 'cancelled', state_reason: 'tool_disabled' });
      expect(files.calls()).toEqual([]);
      const again = await propose(services, 'inventory_wipe', { prefix: 'tmp/' });
      expect(again.decision).toMatchObject({ decision: 'deny', reasonCode: 'tool_disabled' });
    } finally {
      await services.close();
    }
  });

  it('checks the definition again right before a call, catching a change the server did not announce', async () => {
    const { services, files } = await start();
    try {
      files.signal('SIGUSR1');
      // The listing Warden holds still matches, so the guard allows; the check before the call refuses.
      const outcome = await propose(services, 'inventory_lookup', { key: 'alpha' });
      expect(outcome.decision).toMatchObject({ decision: 'allow' });
      expect(outcome.execution).toMatchObject({ status: 'failed', reasonCode: 'mcp.tool_disabled' });
      expect(files.calls()).toEqual([]);
      const again = await propose(services, 'inventory_lookup', { key: 'alpha' });
      expect(again.decision).toMatchObject({ decision: 'deny', reasonCode: 'tool_disabled' });
    } finally {
      await services.close();
    }
  });

  it('restarts a stdio server that died, its tools disabled until it lists them again', async () => {
    const { services, files } = await start();
    try {
      const firstPid = files.pid();
      files.signal('SIGKILL');
      const down = await waitFor(
        () => services.registry.unavailable('inventory_lookup')?.includes('not running or did not answer'),
        { what: 'the dead server to disable its tools', timeoutMs: 30_000 },
      );
      expect(down).toBe(true);
      await waitFor(
        () => files.pid() !== firstPid && services.registry.unavailable('inventory_lookup') === null,
        {
          what: 'the server to be restarted and its tools checked',
          timeoutMs: 60_000,
        },
      );
      const outcome = await propose(services, 'inventory_lookup', { key: 'beta' });
      expect(outcome.execution).toMatchObject({ status: 'succeeded' });
      expect(files.calls()).toEqual(['lookup {"key":"beta"}']);
    } finally {
      await services.close();
    }
  });

  it('starts a per-call server for each call, with the call credential, and ends it with the call', async () => {
    const { services, files } = await start({ perCall: true });
    try {
      const alive = (pid: number) => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      };
      const first = await propose(services, 'inventory_lookup', { key: 'alpha' });
      expect(first.execution).toMatchObject({ status: 'succeeded' });
      const second = await propose(services, 'inventory_lookup', { key: 'beta' });
      expect(second.execution).toMatchObject({ status: 'succeeded' });
      const procs = files.procs().map((line) => line.split(' '));
      expect(procs.map(([, credential]) => credential)).toEqual(['with-credential', 'with-credential']);
      const pids = procs.map(([pid]) => Number(pid));
      expect(new Set(pids).size).toBe(2);
      await waitFor(() => pids.every((pid) => !alive(pid)), {
        what: 'each per-call server to end',
        timeoutMs: 30_000,
      });
    } finally {
      await services.close();
    }
  });

  it('refuses to start when two charters give an imported tool different kinds', async () => {
    const files = fixtureFiles();
    const catalog = mcpCatalog({
      inventory: {
        kind: 'mcp',
        command: process.execPath,
        args: files.args(),
        tools: { inventory_lookup: { tool: 'lookup' } },
      },
    });
    const other = inventoryCharter(
      {
        inventory_lookup: `{ mcp: { pin: "${pins.lookup}", kind: write, risk: low }, environments: { production: allow } }`,
      },
      'other',
    );
    const failed = await createTestServices({ database, charters: [charterFor(), other], catalog }).then(
      async (s) => {
        await s.close();
        return null;
      },
      (error: unknown) => error,
    );
    expect(isWardenError(failed, 'mcp.pins_disagree')).toBe(true);
    expect(String((failed as Error).message)).toContain('kind read vs write');
  });
});
