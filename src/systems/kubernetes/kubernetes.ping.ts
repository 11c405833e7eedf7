import { wardenError } from '../../shared/errors.ts';
import type { KubernetesConnection } from '../systems.types.ts';
import type { KubernetesClients } from './kubernetes.http.ts';

/** One permission the broker needs, as a SelfSubjectAccessReview asks about it. */
type Needed = { verb: string; resource: string; subresource?: string; name?: string };

/** What the broker must be allowed in the executor namespace: mint the two tokens, manage lease Secrets. */
export function brokerNeeds(executor: KubernetesConnection['executor']): Needed[] {
  return [
    { verb: 'create', resource: 'serviceaccounts', subresource: 'token', name: executor.read_account },
    { verb: 'create', resource: 'serviceaccounts', subresource: 'token', name: executor.write_account },
    { verb: 'create', resource: 'secrets' },
    { verb: 'get', resource: 'secrets' },
    { verb: 'delete', resource: 'secrets' },
  ];
}

const describeNeed = (n: Needed) =>
  `${n.verb} ${n.subresource ? `${n.resource}/${n.subresource}` : n.resource}${n.name ? ` "${n.name}"` : ''}`;

/**
 * Asks the API server, with the broker's own token, whether it may do everything a lease needs (one
 * SelfSubjectAccessReview per permission; reviews change nothing). Resolves with one line, or throws
 * `system.forbidden` naming each missing verb and resource (or the transport/401 error of the first call).
 */
export async function checkBrokerAccess({
  broker,
  connection,
}: {
  broker: KubernetesClients;
  connection: KubernetesConnection;
}): Promise<string> {
  const { executor } = connection;
  const needs = brokerNeeds(executor);
  const answers = await Promise.all(
    needs.map((need) =>
      broker.authorization.createSelfSubjectAccessReview({
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SelfSubjectAccessReview',
          spec: {
            resourceAttributes: {
              namespace: executor.namespace,
              verb: need.verb,
              group: '',
              resource: need.resource,
              ...(need.subresource ? { subresource: need.subresource } : {}),
              ...(need.name ? { name: need.name } : {}),
            },
          },
        },
      }),
    ),
  );
  const missing = needs.filter((_, i) => answers[i]?.status?.allowed !== true);
  if (missing.length > 0)
    throw wardenError({
      code: 'system.forbidden',
      message: `${connection.name}: the broker token may not ${missing.map(describeNeed).join(', ')} in namespace ${executor.namespace}; apply the warden-broker Role of deploy/kubernetes/ (or fix its RoleBinding).`,
      details: { connection: connection.name, missing: missing.map(describeNeed) },
    });
  return `${connection.name}: the broker may mint tokens for ${executor.namespace}/${executor.read_account} and ${executor.namespace}/${executor.write_account} and manage lease Secrets in ${executor.namespace} (${connection.url})`;
}
