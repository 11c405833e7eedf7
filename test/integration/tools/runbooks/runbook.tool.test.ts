import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceSpec } from '../../../../src/catalog/catalog.schemas.ts';
import { isWardenError } from '../../../../src/shared/errors.ts';
import { startRunbookReceiver } from '../../systems/runbook-receiver.ts';
import { type CatalogHarness, createCatalogHarness } from '../catalog.harness.ts';

const SECRET = 'CANARY-runbook-secret-plain-3e7d01aa';

/** request_runbook through the catalog world: only the catalog's URL for the environment, signed. */
describe('request_runbook', () => {
  let receiver: Awaited<ReturnType<typeof startRunbookReceiver>>;
  let h: CatalogHarness;
  beforeAll(async () => {
    receiver = await startRunbookReceiver();
    const checkout: ServiceSpec = {
      service: 'checkout',
      owner_channel: 'C0INCIDENT',
      environments: {
        production: {
          runbooks: {
            connection: 'runbooks',
            urls: { flush_cache: `${receiver.url}/ok`, reindex: `${receiver.url}/redirect` },
          },
        },
        staging: {
          runbooks: {
            connection: 'runbooks',
            urls: { flush_cache: 'http://169.254.169.254/latest/meta-data/' },
          },
        },
      },
      queries: {},
    };
    h = await createCatalogHarness({
      services: [checkout],
      connections: {
        runbooks: {
          kind: 'runbooks',
          signing_secret: { env: 'RUNBOOK_SECRET' },
          allow_loopback: true,
          timeout_ms: 2_000,
          max_response_bytes: 4_096,
        },
      },
      env: { RUNBOOK_SECRET: SECRET },
    });
  });
  afterAll(async () => {
    await h?.close();
    await receiver?.close();
  });

  it('POSTs a signed runbook request with the proposal as webhook-id to the catalog URL', async () => {
    const result = await h.call(
      'request_runbook',
      { service: 'checkout', runbook: 'flush_cache', reason: 'Stale prices after the rollback' },
      { proposalId: 'prp_runbook1' },
    );
    expect(result.data).toMatchObject({ runbook: 'flush_cache', status: 202 });
    const got = receiver.received.find((r) => r.headers['webhook-id'] === 'prp_runbook1')!;
    const mac = createHmac('sha256', SECRET)
      .update(`prp_runbook1.${got.headers['webhook-timestamp']}.${got.body}`)
      .digest('base64');
    expect(got.headers['webhook-signature']).toBe(`v1,${mac}`);
    expect(JSON.parse(got.body)).toMatchObject({
      type: 'runbook.requested',
      data: {
        runbook: 'flush_cache',
        service: 'checkout',
        environment: 'production',
        proposal_id: 'prp_runbook1',
      },
    });
    expect(JSON.stringify(result)).not.toContain(SECRET);
  });

  it('refuses a runbook the catalog does not list, a redirect, and a metadata address', async () => {
    const unknown = await h
      .call('request_runbook', { service: 'checkout', runbook: 'drop_tables', reason: 'x' })
      .catch((e) => e);
    expect(isWardenError(unknown, 'catalog.unknown_runbook')).toBe(true);
    const redirect = await h
      .call('request_runbook', { service: 'checkout', runbook: 'reindex', reason: 'x' })
      .catch((e) => e);
    expect(isWardenError(redirect, 'runbooks.redirect_refused')).toBe(true);
    expect(receiver.hits('/target')).toBe(0);
    const metadata = await h
      .call(
        'request_runbook',
        { service: 'checkout', runbook: 'flush_cache', reason: 'x' },
        { environment: 'staging' },
      )
      .catch((e) => e);
    expect(isWardenError(metadata, 'runbooks.refused_address')).toBe(true);
  });
});
