import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { CharterSet } from '../policy/charter-set.ts';
import { authenticateMcpToken, createRefusalAuditor, refusalMessage } from './mcp-auth.ts';
import { type McpSessionDeps, openMcpSession } from './mcp-session.ts';

export type StdioOutcome =
  | { ok: true; closed: Promise<void>; stop: () => Promise<void> }
  | { ok: false; message: string };

/**
 * `warden mcp`: one MCP session over stdin/stdout, authenticated by `WARDEN_MCP_TOKEN` before anything is
 * served. A refused token is audited (`mcp.refused`) and nothing is served. The session (a run) ends when
 * the client closes stdin; `closed` settles once its run is recorded as ended.
 */
export async function serveMcpOverStdio({
  deps,
  charters,
  token,
  stdin = process.stdin,
  stdout = process.stdout,
}: {
  deps: McpSessionDeps;
  charters: CharterSet;
  token: string | undefined;
  stdin?: NodeJS.ReadableStream & { pause: () => unknown };
  stdout?: NodeJS.WritableStream;
}): Promise<StdioOutcome> {
  const auth = await authenticateMcpToken({ deps: { ...deps, charters }, token: token ?? null });
  if (!auth.ok) {
    await createRefusalAuditor(deps)({ refusal: auth, transport: 'stdio' });
    const hint =
      auth.reason === 'missing_token'
        ? 'set WARDEN_MCP_TOKEN to a token from `warden mcp token create`'
        : refusalMessage(auth.reason);
    return { ok: false, message: `warden mcp: refused: ${hint}` };
  }
  const transport = new StdioServerTransport(stdin as NodeJS.ReadStream, stdout as NodeJS.WriteStream);
  const session = await openMcpSession({ deps, client: auth.client, transport, kind: 'stdio' });
  let ended: () => void = () => {};
  const closed = new Promise<void>((resolve) => {
    ended = resolve;
  });
  const finish = (why: string) => void session.close(why).then(ended, ended);
  const previous = transport.onclose;
  transport.onclose = () => {
    previous?.();
    finish('The MCP client closed its session.');
  };
  // The SDK's transport does not notice the end of stdin: that is how a stdio client hangs up.
  stdin.once('end', () => void transport.close());
  return { ok: true, closed, stop: () => transport.close() };
}
