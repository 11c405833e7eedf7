import { createHash } from 'node:crypto';
import { isWardenError, wardenError } from '../../shared/errors.ts';
import type { KubernetesConnection } from '../systems.types.ts';
import type { KubernetesClients } from './kubernetes.http.ts';

/** The shortest life the API server allows a TokenRequest token (10 minutes). */
export const LEASE_TOKEN_SECONDS = 600;

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const PROPOSAL_LABEL = 'warden.dev/proposal';

/**
 * The name of a proposal's lease Secret: `warden-lease-<id>` with the id lower-cased and anything but
 * letters, digits and `-` turned into `-` (`prp_7f3k2m9q1x` → `warden-lease-prp-7f3k2m9q1x`). Any other
 * id (upper case, other characters, long) gets a hash suffix as well, so two ids never share a name.
 */
export function leaseSecretName(proposalId: string): string {
  const slug = proposalId
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  const lossless = proposalId.length <= 40 && /^[a-z0-9]+(_[a-z0-9]+)*$/.test(proposalId);
  if (lossless) return `warden-lease-${slug}`;
  const hash = createHash('sha256').update(proposalId).digest('hex').slice(0, 10);
  return `warden-lease-${slug ? `${slug}-` : ''}${hash}`;
}

/** A label value for the proposal id (63 characters of letters, digits, `-`, `_`, `.`). */
function proposalLabel(proposalId: string): string {
  return proposalId
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
}

/**
 * Creates the proposal's lease Secret in the executor namespace, or finds the one a retry of the same
 * proposal left (409 AlreadyExists), and returns its name and uid: what the token is bound to.
 */
export async function ensureLeaseSecret({
  broker,
  connection,
  proposalId,
  expiresAt,
}: {
  broker: KubernetesClients;
  connection: KubernetesConnection;
  proposalId: string;
  expiresAt: Date;
}): Promise<{ name: string; uid: string }> {
  const namespace = connection.executor.namespace;
  const name = leaseSecretName(proposalId);
  try {
    const created = await broker.core.createNamespacedSecret({
      namespace,
      body: {
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'Opaque',
        metadata: {
          name,
          namespace,
          labels: { [MANAGED_BY_LABEL]: 'warden', [PROPOSAL_LABEL]: proposalLabel(proposalId) },
          // For people and sweeps: the token bound to this Secret is dead by then anyway.
          annotations: { 'warden.dev/expires-at': expiresAt.toISOString() },
        },
      },
    });
    return { name, uid: created.metadata?.uid ?? '' };
  } catch (error) {
    if (!isWardenError(error) || error.details.reason !== 'AlreadyExists') throw error;
    const existing = await broker.core.readNamespacedSecret({ namespace, name });
    return { name, uid: existing.metadata?.uid ?? '' };
  }
}

/** Mints a token for the executor account of this access, bound to the lease Secret and expiring in 10 min. */
export async function mintLeaseToken({
  broker,
  connection,
  access,
  secret,
}: {
  broker: KubernetesClients;
  connection: KubernetesConnection;
  access: 'read' | 'write';
  secret: { name: string; uid: string };
}): Promise<{ token: string; expiresAt: Date | null }> {
  const { executor } = connection;
  const account = access === 'read' ? executor.read_account : executor.write_account;
  const answer = await broker.core.createNamespacedServiceAccountToken({
    namespace: executor.namespace,
    name: account,
    body: {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: {
        audiences: executor.audience ? [executor.audience] : [],
        expirationSeconds: LEASE_TOKEN_SECONDS,
        boundObjectRef: { apiVersion: 'v1', kind: 'Secret', name: secret.name, uid: secret.uid },
      },
    },
  });
  const token = answer.status?.token;
  if (!token)
    throw wardenError({
      code: 'system.bad_response',
      message: `${connection.name}: the TokenRequest for ${executor.namespace}/${account} answered no token.`,
      details: { connection: connection.name },
    });
  const expiresAt = answer.status?.expirationTimestamp;
  return { token, expiresAt: expiresAt ? new Date(expiresAt) : null };
}

/** Deletes a proposal's lease Secret, which revokes every token bound to it; one already gone is fine. */
export async function deleteLeaseSecret({
  broker,
  connection,
  proposalId,
}: {
  broker: KubernetesClients;
  connection: KubernetesConnection;
  proposalId: string;
}): Promise<void> {
  try {
    await broker.core.deleteNamespacedSecret({
      namespace: connection.executor.namespace,
      name: leaseSecretName(proposalId),
    });
  } catch (error) {
    if (isWardenError(error, 'system.not_found')) return;
    throw error;
  }
}
