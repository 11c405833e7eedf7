import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runs } from '../../../src/app/schema.ts';
import type { SlackEmulator } from '../../../src/dev/slack-emulator/index.ts';
import { databaseKinds, useTestDatabase } from '../../helpers/database.ts';
import { blockText, people, type WardenInstance, waitFor } from '../../helpers/slack-harness.ts';
import {
  callTool,
  connectClient,
  endSession,
  issueToken,
  type McpWithSlack,
  startMcpWithSlack,
} from './mcp.harness.ts';

describe.each(databaseKinds)("an MCP session's Slack thread on %s", (kind) => {
  const database = useTestDatabase(kind);
  let emulator: SlackEmulator;
  let warden: WardenInstance;
  let http: McpWithSlack['http'];
  let stop: () => Promise<void>;
  let client: Client | undefined;

  beforeEach(async () => {
    ({ emulator, warden, http, stop } = await startMcpWithSlack({ database, instanceId: 'mcp-thread-a' }));
  });
  afterEach(async () => {
    if (client) await endSession(client).catch(() => {});
    await stop();
  });

  // The session's thread is opened after its run started, while its first events are linked and the
  // mirror passes them by (the run has no thread yet). Once the thread is there, they are posted in it.
  it('shows the events from before its thread was opened, when Slack was slow to open it', async () => {
    // Slack takes far longer than the chainer (20 ms) and the mirror's passes (50 ms) to open the thread.
    emulator.setLatency({ method: 'chat.postMessage', ms: 800 });
    const { token } = await issueToken({ services: warden.services });
    client = await connectClient({ url: http.url, token });
    const first = await callTool(client, 'get_service_health', {
      service: 'checkout',
      environment: 'production',
    });
    expect(first.result.isError).toBeFalsy();
    const run = await waitFor(
      async () => (await warden.services.db.select().from(runs)).find((r) => r.slackThreadTs !== null),
      { what: "the session's thread recorded on its run" },
    );
    emulator.setLatency({ method: 'chat.postMessage', ms: 0 });
    const trail = await waitFor(
      () => {
        const text = emulator.thread(people.incidents, run.slackThreadTs!).map(blockText).join('\n');
        return text.includes('run.started') && text.includes('execution.succeeded') ? text : undefined;
      },
      { what: "the session's first events in its thread", timeoutMs: 15_000 },
    );
    expect(trail).toContain('get_service_health');
  });
});
