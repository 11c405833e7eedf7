import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkCatalogDir, loadCatalog } from '../../../src/catalog/catalog.loader.ts';
import { labelMatchers, renderQuery } from '../../../src/catalog/catalog.ts';
import { repoRoot } from '../../helpers/services.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A catalog directory holding the given files. */
function catalogDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'warden-catalog-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const connections = `connections:
  cluster:
    kind: kubernetes
    url: https://k8s.example:6443
    token: { env: K8S_BROKER_TOKEN }
    executor: { namespace: warden, read_account: reader, write_account: executor }
  prom:
    kind: prometheus
    url: http://prometheus:9090
`;

const checkout = `service: checkout
owner_channel: C0CHECKOUT
environments:
  production:
    kubernetes: { connection: cluster, namespace: shop, deployment: checkout, pod_labels: { app: checkout } }
    prometheus: { connection: prom, labels: { service: checkout, namespace: shop } }
queries:
  error_ratio: sum(rate(http_requests_total{$selector,code=~"5.."}[5m])) / sum(rate(http_requests_total{$selector}[5m]))
`;

/** Every problem line of a catalog directory. */
const problemsOf = (dir: string) => {
  const checked = checkCatalogDir({ dir });
  return [...checked.files.flatMap((f) => f.problems), ...checked.problems];
};

describe('the service catalog', () => {
  it('loads the shipped example and resolves a service, an environment and a named query', () => {
    const catalog = loadCatalog({ dir: join(repoRoot, 'examples/catalog') });
    expect(catalog.services().map((s) => s.service)).toEqual(['checkout']);
    const target = catalog.target({ service: 'checkout', environment: 'production' });
    expect(target).toMatchObject({ ok: true, value: { ownerChannel: 'C0CHECKOUT' } });
    expect(catalog.promql({ service: 'checkout', environment: 'production', query: 'request_rate' })).toEqual(
      {
        ok: true,
        value: {
          promql: 'sum(rate(http_requests_total{namespace="shop",service="checkout"}[5m]))',
          connection: 'prometheus',
        },
      },
    );
  });

  it('is empty, not an error, when the directory does not exist (the sandbox needs none)', () => {
    const catalog = loadCatalog({ dir: join(tmpdir(), 'warden-no-such-catalog') });
    expect(catalog.services()).toEqual([]);
  });

  it('refuses unknown services, environments and queries with a message naming what it knows', () => {
    const catalog = loadCatalog({
      dir: catalogDir({ 'connections.yaml': connections, 'checkout.yaml': checkout }),
    });
    expect(catalog.target({ service: 'payments', environment: 'production' })).toEqual({
      ok: false,
      message: 'The service catalog has no service "payments" (it knows checkout).',
    });
    expect(catalog.target({ service: 'checkout', environment: 'staging' })).toEqual({
      ok: false,
      message: 'The service catalog does not place checkout in staging (only in production).',
    });
    expect(catalog.promql({ service: 'checkout', environment: 'production', query: 'up' })).toEqual({
      ok: false,
      message: 'checkout has no query named "up" (it has error_ratio).',
    });
  });

  it('names the file, the path and the fix for each problem', () => {
    const dir = catalogDir({
      'connections.yaml': `${connections}  leaky:\n    kind: prometheus\n    url: http://p:9090\n    auth: { bearer: s3cr3t-in-the-yaml }\n`,
      'checkout.yaml': checkout.replace('connection: prom,', 'connection: cluster,'),
      'search.yaml': `service: search
owner_channel: C0SEARCH
environments:
  staging:
    kubernetes: { connection: nowhere, namespace: Search_NS, deployment: search, pod_labels: { app: search } }
queries:
  everything: sum(rate(http_requests_total[5m]))
extra: true
`,
    });
    const problems = problemsOf(dir);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /connections\.yaml: connections\.leaky\.auth\.bearer: must say where the secret comes from, \{ env: VARIABLE \} or \{ file: \/path \}, never the secret itself \(line 13\)$/,
        ),
        expect.stringMatching(
          /search\.yaml: environments\.staging\.kubernetes\.namespace: must be a Kubernetes name/,
        ),
        expect.stringMatching(
          /search\.yaml: queries\.everything: does not use \$selector, so it would not be limited to this service/,
        ),
        expect.stringMatching(/search\.yaml: extra: is not a known key/),
      ]),
    );
    // A secret pasted into the file is never repeated back, not even in the message about it.
    expect(problems.join('\n')).not.toContain('s3cr3t-in-the-yaml');
    expect(() => loadCatalog({ dir })).toThrow(/connections\.leaky\.auth\.bearer/);
  });

  it('checks that each environment names a connection that exists and is of the right kind', () => {
    const dir = catalogDir({
      'connections.yaml': connections,
      'checkout.yaml': checkout.replace(
        'prometheus: { connection: prom,',
        'prometheus: { connection: cluster,',
      ),
      'search.yaml': checkout
        .replace('service: checkout', 'service: search')
        .replace('connection: cluster,', 'connection: nowhere,'),
      'again.yaml': checkout,
    });
    expect(problemsOf(dir)).toEqual([
      expect.stringMatching(
        /again\.yaml: environments\.production\.prometheus\.connection: "cluster" is a kubernetes connection, not prometheus|checkout\.yaml: service: "checkout" is already defined in .*again\.yaml/,
      ),
      expect.any(String),
      expect.stringMatching(
        /search\.yaml: environments\.production\.kubernetes\.connection: "nowhere" is not a connection in .*connections\.yaml/,
      ),
    ]);
    expect(problemsOf(dir).join('\n')).toContain('"cluster" is a kubernetes connection, not prometheus');
    expect(problemsOf(dir).join('\n')).toContain('service: "checkout" is already defined in');
  });

  it('refuses YAML tags, like charters', () => {
    const dir = catalogDir({
      'checkout.yaml': checkout.replace('owner_channel: C0CHECKOUT', 'owner_channel: !!str C0CHECKOUT'),
    });
    expect(problemsOf(dir).join('\n')).toMatch(/owner_channel: uses the YAML tag !!str/);
  });
});

describe('rendering a named query', () => {
  it('scopes every $selector with the labels, escaped as PromQL strings', () => {
    expect(labelMatchers({ service: 'a"b\\c\nd', env: 'prod' })).toBe('env="prod",service="a\\"b\\\\c\\nd"');
    expect(renderQuery({ template: 'x{$selector} / y{$selector,code="5xx"}', labels: { s: 'v' } })).toBe(
      'x{s="v"} / y{s="v",code="5xx"}',
    );
  });
});

describe('a secret pasted where a variable name belongs', () => {
  it('is refused without being echoed', () => {
    const pasted = 'CANARY-pasted-token-aB3dE5fG7h';
    const dir = catalogDir({
      'connections.yaml': connections.replace(
        'token: { env: K8S_BROKER_TOKEN }',
        `token: { env: ${pasted} }`,
      ),
    });
    const checked = checkCatalogDir({ dir });
    const text = JSON.stringify(checked.files);
    expect(checked.catalog).toBeNull();
    expect(text).toContain('must be an environment variable name');
    expect(text).not.toContain(pasted);
  });
});
