import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkCatalogDir } from '../../../src/catalog/catalog.loader.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Every problem line of a catalog directory holding these files. */
function problemsOf(files: Record<string, string>): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'warden-jira-catalog-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const checked = checkCatalogDir({ dir });
  return [...checked.files.flatMap((f) => f.problems), ...checked.problems];
}

const jira = (url: string, token = '{ env: WARDEN_JIRA_TOKEN }') => `connections:
  jira:
    kind: jira
    url: ${url}
    site: https://acme.atlassian.net
    email: warden-bot@acme.example
    token: ${token}
  runbooks:
    kind: runbooks
    signing_secret: { env: WARDEN_RUNBOOK_SECRET }
  prom:
    kind: prometheus
    url: http://prometheus:9090
`;
const GATEWAY = 'https://api.atlassian.com/ex/jira/1324a887-45db-1bf4-1e99-ef0ff456d421';
const service = (environment: string) => `service: checkout
owner_channel: C0CHECKOUT
environments:
  production:
${environment}
`;

describe('Jira and runbooks in the service catalog', () => {
  it('accepts a Jira project and runbook URLs per environment', () => {
    const problems = problemsOf({
      'connections.yaml': jira(GATEWAY),
      'checkout.yaml': service(
        '    jira: { connection: jira, project: OPS }\n    runbooks: { connection: runbooks, urls: { flush_cache: "https://runbooks.example/hook" } }',
      ),
    });
    expect(problems).toEqual([]);
  });

  it('refuses the site URL for a scoped token, naming the gateway URL it needs', () => {
    const problems = problemsOf({ 'connections.yaml': jira('https://acme.atlassian.net') });
    expect(problems.join('\n')).toContain('https://api.atlassian.com/ex/jira/<cloud id> (not the site URL)');
    const siteHost = problemsOf({
      'connections.yaml': jira('https://acme.atlassian.net/ex/jira/1324a887-45db-1bf4'),
    });
    expect(siteHost.join('\n')).toContain('(not the site URL)');
    // Not a URL at all: one problem line, not a crash.
    expect(problemsOf({ 'connections.yaml': jira('not a url') }).join('\n')).toContain(
      'must be an http(s) URL',
    );
  });

  it('refuses a token pasted into the YAML without echoing it', () => {
    const pasted = 'ATATT3xFfGF0-CANARY-pasted-jira-token';
    const problems = problemsOf({ 'connections.yaml': jira(GATEWAY, pasted) });
    expect(problems.join('\n')).toContain('never the secret itself');
    expect(problems.join('\n')).not.toContain(pasted);
  });

  it('refuses a project that is not a key, a runbook URL that is not http(s), and a connection of another kind', () => {
    const problems = problemsOf({
      'connections.yaml': jira(GATEWAY),
      'checkout.yaml': service(
        '    jira: { connection: prom, project: ops }\n    runbooks: { connection: jira, urls: { flush_cache: "file:///etc/passwd" } }',
      ),
    });
    const text = problems.join('\n');
    expect(text).toContain('must be a Jira project key');
    expect(text).toContain('must be an http(s) URL');
    const fixed = problemsOf({
      'connections.yaml': jira(GATEWAY),
      'checkout.yaml': service(
        '    jira: { connection: prom, project: OPS }\n    runbooks: { connection: jira, urls: { flush_cache: "https://r.example/x" } }',
      ),
    });
    expect(fixed.join('\n')).toContain('"prom" is a prometheus connection, not jira');
    expect(fixed.join('\n')).toContain('"jira" is a jira connection, not runbooks');
  });
});
