import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkCatalogDir } from '../../../src/catalog/catalog.loader.ts';
import { createRedactor } from '../../../src/shared/redact.ts';
import { resolveConnections } from '../../../src/systems/connections.ts';
import { ticketSystemOf } from '../../../src/tools/tickets/create-ticket.tool.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function check(files: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'warden-github-catalog-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const checked = checkCatalogDir({ dir });
  return { checked, problems: [...checked.files.flatMap((f) => f.problems), ...checked.problems] };
}

const connections = (github = 'app_id: 12345\n    private_key: { env: WARDEN_GITHUB_KEY }') => `connections:
  github:
    kind: github
    ${github}
  jira:
    kind: jira
    url: https://api.atlassian.com/ex/jira/1324a887-45db-1bf4-1e99-ef0ff456d421
    site: https://acme.atlassian.net
    email: warden-bot@acme.example
    token: { env: WARDEN_JIRA_TOKEN }
`;
const service = (production: string) => `service: checkout
owner_channel: C0CHECKOUT
environments:
  production:
${production}
`;
const REPO =
  '    github: { connection: github, repository: acme/checkout, rollback_workflow: { file: rollback.yml, inputs: [version] } }';

describe('GitHub in the service catalog', () => {
  it('accepts an App connection and a repository with its rollback workflow per environment', () => {
    const { problems, checked } = check({
      'connections.yaml': connections(),
      'checkout.yaml': service(REPO),
    });
    expect(problems).toEqual([]);
    const spec = checked.catalog?.target({ service: 'checkout', environment: 'production' });
    expect(spec?.ok && spec.value.systems.github).toEqual({
      connection: 'github',
      repository: 'acme/checkout',
      rollback_workflow: { file: 'rollback.yml', ref: 'main', inputs: ['version'], key_input: 'warden_key' },
    });
    expect(checked.catalog?.connection('github')).toMatchObject({
      url: 'https://api.github.com',
      app_id: 12345,
    });
  });

  it('refuses a private key pasted into the catalog without echoing it, and a repository that is not owner/name', () => {
    const pasted = check({
      'connections.yaml': connections(
        'app_id: 12345\n    private_key: "-----BEGIN RSA PRIVATE KEY----- CANARY-KEY"',
      ),
    }).problems.join('\n');
    expect(pasted).toContain('never the secret itself');
    expect(pasted).not.toContain('CANARY-KEY');
    const repo = check({
      'connections.yaml': connections(),
      'checkout.yaml': service('    github: { connection: github, repository: checkout }'),
    }).problems.join('\n');
    expect(repo).toContain('must be owner/name');
  });

  it('refuses tickets filed in a tracker the environment does not name, and a github entry naming a Jira connection', () => {
    const tickets = check({
      'connections.yaml': connections(),
      'checkout.yaml': service('    jira: { connection: jira, project: OPS }\n    tickets: github'),
    }).problems.join('\n');
    expect(tickets).toContain(
      'environments.production.tickets: files tickets in github, but names no github here',
    );
    const kind = check({
      'connections.yaml': connections(),
      'checkout.yaml': service('    github: { connection: jira, repository: acme/checkout }'),
    }).problems.join('\n');
    expect(kind).toContain('"jira" is a jira connection, not github');
  });

  it('files tickets where `tickets` says, else in Jira when named, else in GitHub issues', () => {
    const github = { connection: 'github', repository: 'acme/checkout' };
    const jira = { connection: 'jira', project: 'OPS' };
    expect(ticketSystemOf({ github, jira })).toBe('jira');
    expect(ticketSystemOf({ github, jira, tickets: 'github' })).toBe('github');
    expect(ticketSystemOf({ github })).toBe('github');
    expect(ticketSystemOf({})).toBeNull();
  });

  it('reads the App private key and refuses one that is not an RSA key in PEM, naming the connection', () => {
    const { checked } = check({ 'connections.yaml': connections() });
    const catalog = checked.catalog;
    if (!catalog) throw new Error('catalog did not load');
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const redactor = createRedactor();
    const good = resolveConnections({
      catalog,
      env: { WARDEN_GITHUB_KEY: pem, WARDEN_JIRA_TOKEN: 't' },
      redactor,
    });
    expect(good.problems).toEqual([]);
    expect(good.connections.get('github')).toMatchObject({
      kind: 'github',
      appId: 12345,
      installationId: null,
    });
    expect(redactor.redactText(`key ${pem}`)).not.toContain('PRIVATE KEY-----\nMII');
    const bad = resolveConnections({
      catalog,
      env: { WARDEN_GITHUB_KEY: 'CANARY-not-a-key', WARDEN_JIRA_TOKEN: 't' },
      redactor: createRedactor(),
    });
    expect(bad.connections.has('github')).toBe(false);
    expect(bad.problems.map((p) => p.message).join('\n')).toMatch(
      /github: the App private key is not an RSA private key/,
    );
    expect(JSON.stringify(bad.problems)).not.toContain('CANARY');
  });
});
