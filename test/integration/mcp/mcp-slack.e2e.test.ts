import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult, Progress } from '@modelcontextprotocol/sdk/types.js';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { proposals } from '../../../src/app/schema.ts';
import type { SlackEmulator } from '../../../src/dev/slack-emulator/index.ts';
import { resolveGroups } from '../../../src/policy/approval-validity.ts';
import { listApprovals } from '../../../src/proposals/proposals.repository.ts';
import { databaseKinds, useTestDatabase } from '../../helpers/database.ts';
import type { TestServices } from '../../helpers/services.ts';
import { buttonsOf, people, type WardenInstance, waitFor } from '../../helpers/slack-harness.ts';
import {
  connectClient,
  endSession,
  issueToken,
  type McpWithSlack,
  startMcpWithSlack,
} from './mcp.harness.ts';

/** A call that waits for its decision, with the progress the client heard while it waited. */
function heldCall(client: Client, name: string, args: Record<string, unknown>) {
  const progress: Progress[] = [];
  const result = client
    .callTool({ name, arguments: args }, undefined, {
      onprogress: (p) => progress.push(p),
      resetTimeoutOnProgress: true,
      timeout: 120_000,
    })
    .then((r) => {
      const call = r as CallToolResult;
      const first = call.content[0];
      return {
        call,
        body: JSON.parse(first?.type === 'text' ? first.text : '{}') as Record<string, unknown>,
      };
    });
  return { result, progress };
}

async function pendingProposal(services: TestServices, tool: string) {
  return waitFor(
    async () => {
      const rows = await services.db.select().from(proposals).where(eq(proposals.tool, tool));
      return rows.find((r) => r.state === 'pending') ?? null;
    },
    { what: `a pending ${tool}`, timeoutMs: 30_000 },
  );
}

describe.each(databaseKinds)('MCP calls held for approval in Slack on %s', (kind) => {
  const database = useTestDatabase(kind);
  let emulator: SlackEmulator;
  let warden: WardenInstance;
  let stop: () => Promise<void>;
  let client: Client;
  let tokenId: string;

  beforeEach(async () => {
    let http: McpWithSlack['http'];
    ({ emulator, warden, http, stop } = await startMcpWithSlack({ database, instanceId: 'mcp-slack-a' }));
    const issued = await issueToken({ services: warden.services });
    tokenId = issued.id;
    client = await connectClient({ url: http.url, token: issued.token });
  });
  afterEach(async () => {
    await endSession(client).catch(() => {});
    await stop();
  });

  const cardOf = (proposalId: string) =>
    waitFor(
      () => emulator.messages(people.incidents).find((m) => m.text.includes(`(proposal ${proposalId})`)),
      {
        what: 'the approval card',
        timeoutMs: 30_000,
      },
    );
  const approve = (user: string, ts: string) =>
    emulator.clickButton({ user, channel: people.incidents, messageTs: ts, actionId: 'proposal.approve' });

  it('waits while two approvers click Approve, with progress, then returns the result', async () => {
    const held = heldCall(client, 'rollback_deploy', {
      service: 'checkout',
      to_version: 'v2.13.4',
      environment: 'production',
    });
    const proposal = await pendingProposal(warden.services, 'rollback_deploy');
    const opening = emulator
      .messages(people.incidents)
      .find((m) => m.text.includes(':electric_plug: MCP session'));
    expect(opening?.text).toContain(`<@${people.oncall}>`);
    expect(opening?.text).toContain(tokenId);
    const card = await cardOf(proposal.id);
    expect(buttonsOf(card)).toEqual(['Approve', 'Reject']);
    await waitFor(() => held.progress.length > 0, { what: 'progress while it waits', timeoutMs: 30_000 });

    await approve(people.approvers[0], card.ts);
    await waitFor(
      async () => (await listApprovals({ db: warden.services.db, proposalId: proposal.id })).length === 1,
      { what: 'the first approval recorded', timeoutMs: 30_000 },
    );
    expect(
      (await warden.services.db.select().from(proposals).where(eq(proposals.id, proposal.id)))[0]?.state,
    ).toBe('pending');
    await approve(people.approvers[1], card.ts);
    const { call, body } = await held.result;
    expect(call.isError).toBeFalsy();
    expect(body).toMatchObject({ proposalId: proposal.id, approved: true });
    expect(String(body.summary)).toContain('v2.13.4');
    expect(held.progress[0]?.message).toContain(`Waiting for approval in Slack (proposal ${proposal.id})`);
    const [row] = await warden.services.db.select().from(proposals).where(eq(proposals.id, proposal.id));
    expect(row).toMatchObject({ state: 'succeeded', requester: people.oncall, source: 'mcp' });
  });

  it('ends a rejected call with an error saying it was rejected', async () => {
    const held = heldCall(client, 'restart_service', { service: 'checkout', environment: 'production' });
    const proposal = await pendingProposal(warden.services, 'restart_service');
    const charter = warden.services.charters.get('triage')!;
    const approver = people.approvers[0];
    await warden.services.approvals.decideOnProposal({
      proposalId: proposal.id,
      approver: { userId: approver, groups: resolveGroups({ charter, userId: approver }) },
      decision: 'reject',
    });
    const { call, body } = await held.result;
    expect(call.isError).toBe(true);
    expect(body).toMatchObject({ code: 'approval.rejected', proposalId: proposal.id });
  });

  it('ends a call nobody decided with "expired", never "rejected"', async () => {
    const held = heldCall(client, 'restart_service', { service: 'checkout', environment: 'production' });
    const proposal = await pendingProposal(warden.services, 'restart_service');
    warden.services.clock.advance(31 * 60_000);
    const { call, body } = await held.result;
    expect(call.isError).toBe(true);
    expect(body).toMatchObject({ code: 'approval.expired', proposalId: proposal.id });
    expect(String(body.message)).toContain('It was not rejected.');
    const [row] = await warden.services.db.select().from(proposals).where(eq(proposals.id, proposal.id));
    expect(row?.state).toBe('expired');
  });

  it('ends a held call with an error naming the kill switch when it is engaged', async () => {
    const held = heldCall(client, 'restart_service', { service: 'checkout', environment: 'production' });
    const proposal = await pendingProposal(warden.services, 'restart_service');
    await warden.services.killSwitch.engage({ agent: 'triage', actor: people.owner, reason: 'drill' });
    const { call, body } = await held.result;
    expect(call.isError).toBe(true);
    expect(body).toMatchObject({ code: 'kill_switch', proposalId: proposal.id });
    expect(String(body.message)).toContain('kill switch');
  });
});
