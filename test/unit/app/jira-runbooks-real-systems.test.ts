import { describe, expect, it } from 'vitest';
import { setUpRealSystems } from '../../../src/app/real-systems.ts';
import type { ServiceSpec } from '../../../src/catalog/catalog.schemas.ts';
import { createCatalog } from '../../../src/catalog/catalog.ts';
import { loadCharters } from '../../../src/policy/charter.loader.ts';
import { createManualClock } from '../../../src/shared/clock.ts';
import { isWardenError } from '../../../src/shared/errors.ts';
import { createRedactor } from '../../../src/shared/redact.ts';
import { repoRoot } from '../../helpers/services.ts';

const realTriage = loadCharters({ dir: `${repoRoot}/examples/charters` }).charters;
const TOKEN = 'CANARY-jira-start-token-77aa1c';

const checkout: ServiceSpec = {
  service: 'checkout',
  owner_channel: 'C0CHECKOUT',
  environments: {
    production: {
      jira: { connection: 'jira', project: 'OPS' },
      runbooks: { connection: 'runbooks', urls: { flush_cache: 'https://runbooks.example/hook' } },
    },
  },
  queries: {},
};
const catalog = createCatalog({
  services: [checkout],
  connections: {
    jira: {
      kind: 'jira',
      url: 'https://api.atlassian.com/ex/jira/1324a887-45db-1bf4-1e99-ef0ff456d421',
      site: 'https://acme.atlassian.net',
      email: 'warden-bot@acme.example',
      token: { env: 'WARDEN_JIRA_TOKEN' },
    },
    runbooks: {
      kind: 'runbooks',
      signing_secret: { env: 'WARDEN_RUNBOOK_SECRET' },
      allow_loopback: false,
      timeout_ms: 10_000,
      max_response_bytes: 65_536,
    },
  },
});
const setUp = (env: Record<string, string>) =>
  setUpRealSystems({
    catalogDir: '/nonexistent',
    catalog,
    env,
    charters: realTriage,
    redactor: createRedactor(),
    clock: createManualClock(),
  });

describe('Jira and runbooks at start', () => {
  it('makes the clients when the token and the signing secret can be read', () => {
    const real = setUp({ WARDEN_JIRA_TOKEN: TOKEN, WARDEN_RUNBOOK_SECRET: 'whsec_c2VjcmV0' });
    expect(real.systems.jira('jira')?.site).toBe('https://acme.atlassian.net');
    expect(real.systems.runbooks('runbooks')).not.toBeNull();
  });

  it('refuses to start when the charter files tickets where the Jira token is missing, saying which', () => {
    let message = '';
    try {
      setUp({ WARDEN_RUNBOOK_SECRET: 'whsec_c2VjcmV0' });
    } catch (error) {
      if (!isWardenError(error, 'catalog.connection_missing')) throw error;
      message = error.message;
    }
    expect(message).toContain(
      'charter triage lets create_ticket run in production, where checkout needs connection jira',
    );
    expect(message).toContain('WARDEN_JIRA_TOKEN, which is not set');
    expect(message).not.toContain('request_runbook');
  });
});
