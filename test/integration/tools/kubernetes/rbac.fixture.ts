import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { AccessRule, EmulatorIdentity } from '../../../../src/dev/kubernetes-emulator/index.ts';

const repoRoot = fileURLToPath(new URL('../../../..', import.meta.url));

/** The shipped RBAC manifests (`deploy/kubernetes/*.yaml`), every document of every file. */
export function shippedManifests(): Record<string, any>[] {
  const dir = join(repoRoot, 'deploy', 'kubernetes');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((f) =>
      parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((doc) => {
        if (doc.errors.length > 0) throw new Error(`${f}: ${doc.errors[0]?.message}`);
        return doc.toJS() as Record<string, any>;
      }),
    );
}

/** The API group each resource the tools touch lives in (the emulator ignores groups; a cluster does not). */
export const API_GROUPS: Record<string, string> = {
  pods: '',
  'pods/log': '',
  events: '',
  secrets: '',
  'serviceaccounts/token': '',
  deployments: 'apps',
  'deployments/scale': 'apps',
  replicasets: 'apps',
  horizontalpodautoscalers: 'autoscaling',
};

type RoleRule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };

/** A Role's rules as the emulator's rules, in the namespace of the binding; a wrong API group throws. */
function toAccessRules(rules: RoleRule[], namespace: string): AccessRule[] {
  return rules.map((rule) => {
    for (const resource of rule.resources)
      if (!rule.apiGroups.includes(API_GROUPS[resource] ?? '?'))
        throw new Error(`${resource} is in API group "${API_GROUPS[resource]}", not ${rule.apiGroups}`);
    return {
      verbs: rule.verbs,
      resources: rule.resources,
      namespaces: [namespace],
      ...(rule.resourceNames ? { resourceNames: rule.resourceNames } : {}),
    };
  });
}

/**
 * The emulator identities the shipped manifests describe: each ServiceAccount bound to a Role gets that
 * Role's rules in the binding's namespace. The broker authenticates with `brokerToken` (a static token
 * standing for its long-lived token); the executor accounts through the tokens the broker mints.
 */
export function shippedIdentities({
  brokerToken,
  broker = { namespace: 'warden', name: 'warden-broker' },
}: {
  brokerToken: string;
  broker?: { namespace: string; name: string };
}): EmulatorIdentity[] {
  const manifests = shippedManifests();
  const roles = new Map(
    manifests
      .filter((m) => m.kind === 'Role')
      .map((m) => [`${m.metadata.namespace}/${m.metadata.name}`, m.rules as RoleRule[]]),
  );
  const rulesBySubject = new Map<string, AccessRule[]>();
  for (const binding of manifests.filter((m) => m.kind === 'RoleBinding')) {
    const namespace = binding.metadata.namespace as string;
    const rules = roles.get(`${namespace}/${binding.roleRef.name}`);
    if (!rules || binding.roleRef.kind !== 'Role')
      throw new Error(`RoleBinding ${binding.metadata.name}: no Role`);
    for (const subject of binding.subjects as { kind: string; name: string; namespace: string }[]) {
      const key = `${subject.namespace}/${subject.name}`;
      rulesBySubject.set(key, [...(rulesBySubject.get(key) ?? []), ...toAccessRules(rules, namespace)]);
    }
  }
  return [...rulesBySubject].map(([key, rules]): EmulatorIdentity => {
    const [namespace = '', name = ''] = key.split('/');
    if (namespace === broker.namespace && name === broker.name)
      return { token: brokerToken, user: `system:serviceaccount:${namespace}:${name}`, rules };
    return { serviceAccount: { namespace, name }, rules };
  });
}
