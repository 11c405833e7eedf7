import { describe, expect, it } from 'vitest';
import { charterSet } from '../../../src/policy/charter-set.ts';
import { databaseKinds } from '../../helpers/database.ts';
import { useTestServices } from '../../helpers/services.ts';
import { serveObservability } from './helpers.ts';

describe.each(databaseKinds)('GET /healthz on %s', (kind) => {
  const { database, services } = useTestServices({ kind });

  const get = async (target: Parameters<typeof serveObservability>[0]) => {
    const http = await serveObservability(target);
    try {
      const response = await fetch(`${http.url}/healthz`);
      return {
        status: response.status,
        body: await response.json(),
        requestId: response.headers.get('x-request-id'),
      };
    } finally {
      await http.close();
    }
  };

  it('answers 200 with the loaded agents when the database answers and charters are loaded', async () => {
    const answer = await get(services);
    expect(answer).toMatchObject({ status: 200, body: { ok: true, agents: ['evidence', 'triage'] } });
    expect(answer.requestId).toMatch(/^req_/);
  });

  it('answers 503 with the reason when no charter is loaded', async () => {
    expect(await get({ ...services, charters: charterSet([]) })).toMatchObject({
      status: 503,
      body: { ok: false, reason: 'no charters loaded' },
    });
  });

  it('answers 503 with the reason when the database does not answer', async () => {
    await services.observability.stop();
    await database.close();
    expect(await get(services)).toMatchObject({
      status: 503,
      body: { ok: false, reason: 'database unavailable' },
    });
  });
});
