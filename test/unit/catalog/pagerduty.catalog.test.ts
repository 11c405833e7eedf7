import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { checkCatalogDir } from '../../../src/catalog/catalog.loader.ts';

const dirs: string[] = [];
function catalogDir(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'warden-pd-catalog-'));
  dirs.push(dir);
  for (const [name, value] of Object.entries(files)) writeFileSync(join(dir, name), stringify(value));
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const pd = (prefix: string) => ({ kind: 'pagerduty', token: { env: 'PD_TOKEN' }, incident_prefix: prefix });
const checkout = (connection: string) => ({
  service: 'checkout',
  owner_channel: 'C0INCIDENTS',
  environments: { production: { pagerduty: { connection, service_ids: ['PCHKPRD'] } } },
});

describe('catalog validate: PagerDuty', () => {
  it('accepts a service mapped to PagerDuty service ids on a pagerduty connection', () => {
    const checked = checkCatalogDir({
      dir: catalogDir({
        'connections.yaml': { connections: { pagerduty: pd('INC') } },
        'checkout.yaml': checkout('pagerduty'),
      }),
    });
    expect(checked.problems).toEqual([]);
    expect(checked.catalog?.connection('pagerduty')).toMatchObject({ url: 'https://api.pagerduty.com' });
  });

  it('refuses two connections with one incident prefix, and a pagerduty entry naming another kind', () => {
    const checked = checkCatalogDir({
      dir: catalogDir({
        'connections.yaml': {
          connections: { a: pd('INC'), b: pd('INC'), prom: { kind: 'prometheus', url: 'http://prom:9090' } },
        },
        'checkout.yaml': checkout('prom'),
      }),
    });
    expect(checked.problems.join('\n')).toContain('incident_prefix: "INC" is already the prefix of a');
    expect(checked.problems.join('\n')).toContain('"prom" is a prometheus connection, not pagerduty');
  });
});
