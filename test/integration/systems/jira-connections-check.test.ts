import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { JiraEmulator } from '../../../src/dev/jira-emulator/index.ts';
import { connectionsCheckCommand } from '../../../src/systems/connections.check.ts';
import { CLOUD_ID, EMAIL, JIRA_TOKEN, READ_ONLY_TOKEN, SITE, startJira } from '../tools/jira/jira.fixture.ts';

const RUNBOOK_SECRET = 'CANARY-runbook-check-secret-1b9e';
const CANARIES = [JIRA_TOKEN, READ_ONLY_TOKEN, RUNBOOK_SECRET];

/** `warden connections check` on Jira connections: a wrong host, cloud id, site or token is caught. */
describe('connections check for Jira and runbooks', () => {
  let jira: JiraEmulator;
  const dirs: string[] = [];
  beforeAll(async () => {
    jira = await startJira();
  });
  afterAll(async () => {
    await jira?.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  async function check(connections: Record<string, unknown>) {
    const dir = mkdtempSync(join(tmpdir(), 'warden-jira-check-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'connections.yaml'), stringify({ connections }));
    const lines: string[] = [];
    const out = { write: (s: string) => void lines.push(...s.replace(/\n$/, '').split('\n')) };
    const env = { JIRA_TOKEN, READ_ONLY_TOKEN, RUNBOOK_SECRET };
    const code = await connectionsCheckCommand({ dir, env, out });
    expect(CANARIES.filter((c) => lines.join('\n').includes(c))).toEqual([]);
    return { code, text: lines.join('\n') };
  }
  const jiraAt = (url: string, overrides: Record<string, unknown> = {}) => ({
    kind: 'jira',
    url,
    site: SITE,
    email: EMAIL,
    token: { env: 'JIRA_TOKEN' },
    ...overrides,
  });

  it('passes the gateway URL with the right cloud id, site and token', async () => {
    const { code, text } = await check({
      jira: jiraAt(jira.apiUrl),
      runbooks: { kind: 'runbooks', signing_secret: { env: 'RUNBOOK_SECRET' } },
    });
    expect(text).toContain(`✓ jira (jira): jira: signed in as Warden Bot on ${SITE}`);
    expect(text).toContain('✓ runbooks (runbooks)');
    expect(code).toBe(0);
  });

  it('refuses the site URL in the catalog: a scoped token needs the gateway', async () => {
    const { code, text } = await check({ jira: jiraAt(SITE) });
    expect(code).toBe(1);
    expect(text).toContain('api.atlassian.com/ex/jira/<cloud id>');
  });

  it('fails a wrong cloud id, a site that is not the cloud id, and a token of another account', async () => {
    const { code, text } = await check({
      wrongcloud: jiraAt(`${jira.url}/ex/jira/00000000-0000-0000-0000-000000000000`),
      wrongsite: jiraAt(jira.apiUrl, { site: 'https://other.atlassian.net' }),
      wrongtoken: jiraAt(jira.apiUrl, { token: { env: 'READ_ONLY_TOKEN' } }),
    });
    expect(code).toBe(1);
    expect(text).toMatch(/✗ wrongcloud \(jira\): wrongcloud: not found \(404\)/);
    expect(text).toContain(
      `✗ wrongsite (jira): wrongsite: the cloud id in ${jira.url}/ex/jira/${CLOUD_ID} is the site ${SITE}`,
    );
    expect(text).toMatch(
      /✗ wrongtoken \(jira\): wrongtoken refused the token \(401\)\. A scoped API token works only through/,
    );
  });
});
