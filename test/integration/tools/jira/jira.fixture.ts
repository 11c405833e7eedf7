import type { ConnectionSpec, ServiceSpec } from '../../../../src/catalog/catalog.schemas.ts';
import { createJiraEmulator, type JiraEmulator } from '../../../../src/dev/jira-emulator/index.ts';

/** Canaries: the service account's scoped token, and one the fake knows with too few scopes. */
export const JIRA_TOKEN = 'CANARY-jira-scoped-token-4f9a2c71e0';
export const READ_ONLY_TOKEN = 'CANARY-jira-readonly-token-8b3d55';
export const CLOUD_ID = '1324a887-45db-1bf4-1e99-ef0ff456d421';
export const SITE = 'https://acme.atlassian.net';
export const EMAIL = 'warden-bot@acme.example';

/** A fake Jira Cloud with projects OPS and SEC and the service account (read and write scopes). */
export async function startJira(options: { rateLimit?: { limit: number; windowSeconds: number } } = {}) {
  const jira = createJiraEmulator({
    cloudId: CLOUD_ID,
    site: SITE,
    projects: ['OPS', 'SEC'],
    accounts: [
      {
        email: EMAIL,
        token: JIRA_TOKEN,
        accountId: '5b10a2844c20165700ede21g',
        displayName: 'Warden Bot',
        scopes: ['read:jira-work', 'write:jira-work', 'read:jira-user'],
      },
      {
        email: 'reader@acme.example',
        token: READ_ONLY_TOKEN,
        accountId: '5b10a2844c20165700ede22h',
        displayName: 'Reader',
        scopes: ['read:jira-work', 'read:jira-user'],
      },
    ],
    ...options,
  });
  await jira.start();
  return jira;
}

/** The Jira connection to the fake, its token from JIRA_TOKEN_ENV. */
export function jiraConnection(jira: JiraEmulator, overrides: Partial<ConnectionSpec> = {}): ConnectionSpec {
  return {
    kind: 'jira',
    url: jira.apiUrl,
    site: SITE,
    email: EMAIL,
    token: { env: 'WARDEN_JIRA_TOKEN' },
    ...overrides,
  } as ConnectionSpec;
}

/** checkout files its tickets in OPS in production and staging. */
export function checkoutWithJira(): ServiceSpec {
  return {
    service: 'checkout',
    owner_channel: 'C0INCIDENT',
    environments: {
      production: { jira: { connection: 'jira', project: 'OPS' } },
      staging: { jira: { connection: 'jira', project: 'OPS' } },
    },
    queries: {},
  };
}
