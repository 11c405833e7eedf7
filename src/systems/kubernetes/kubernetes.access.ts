import type { AppsV1Api, AutoscalingV2Api, CoreV1Api } from '@kubernetes/client-node';
import type { Clock } from '../../shared/clock.ts';
import { isWardenError } from '../../shared/errors.ts';
import type { Redactor } from '../../shared/redact.ts';
import type { KubernetesConnection } from '../systems.types.ts';
import type { KubernetesClients } from './kubernetes.http.ts';
import {
  deleteLeaseSecret,
  ensureLeaseSecret,
  LEASE_TOKEN_SECONDS,
  mintLeaseToken,
} from './kubernetes.lease.ts';
import { checkBrokerAccess } from './kubernetes.ping.ts';

/** Which executor account a session's token is for: reads never carry write rights. */
export type SessionAccess = 'read' | 'write';

/** The APIs of one tool call, authenticated with a token minted for this proposal alone. */
export type KubernetesSession = {
  access: SessionAccess;
  apps: AppsV1Api;
  core: CoreV1Api;
  autoscaling: AutoscalingV2Api;
  /** The lease Secret the token is bound to (deleting it revokes the token). */
  lease: string;
  /** Revokes the token (deletes the lease Secret; one already gone is fine) and forgets it. */
  close: () => Promise<void>;
};

export type KubernetesAccess = {
  connection: string;
  /**
   * Opens a session for one call of a proposal: creates (or, for a retry, re-uses) the proposal's lease
   * Secret with the broker's token, mints a 10-minute token for the read or write account bound to it,
   * and registers that token with the redactor at once. Always `close()` it, in `finally`.
   */
  session: (options: {
    proposalId: string;
    access: SessionAccess;
    signal?: AbortSignal;
  }) => Promise<KubernetesSession>;
  /** Deletes the per-proposal Secrets of these proposals (ignoring ones already gone). */
  revokeForProposals: (proposalIds: readonly string[]) => Promise<void>;
  /** A harmless check for `warden connections check`; resolves with a one-line description. */
  ping: (options?: { signal?: AbortSignal }) => Promise<string>;
};

/** Whether a failed request may have been carried out all the same (no answer came back). */
const outcomeUnknown = (error: unknown) =>
  isWardenError(error) && ['tools.aborted', 'system.timeout', 'system.unreachable'].includes(error.code);

/**
 * `@kubernetes/client-node` costs ~0.7 s and ~100 MB to load: it is loaded with the first call to a
 * cluster, never at start-up (most deployments, and every sandbox, have no cluster).
 */
const kubernetesClients = async () => (await import('./kubernetes.http.ts')).kubernetesClients;

/** Time allowed for one request to the API server. */
export const KUBERNETES_TIMEOUT_MS = 15_000;

/**
 * Access to one cluster through its broker identity. The broker's token is used only to manage lease
 * Secrets and mint per-proposal tokens for the executor accounts; tools act with those tokens, which die
 * when the call ends (or the kill switch revokes the proposal), and after 10 minutes regardless.
 */
export function createKubernetesAccess({
  connection,
  redactor,
  clock,
  timeoutMs = KUBERNETES_TIMEOUT_MS,
}: {
  connection: KubernetesConnection;
  redactor: Redactor;
  clock: Clock;
  timeoutMs?: number;
}): KubernetesAccess {
  redactor.addSecret(connection.brokerToken);
  const brokerClients = async (signal?: AbortSignal): Promise<KubernetesClients> =>
    (await kubernetesClients())({
      connection,
      token: connection.brokerToken,
      credential: 'broker',
      signal,
      timeoutMs,
      redactor,
    });

  async function session({
    proposalId,
    access,
    signal,
  }: {
    proposalId: string;
    access: SessionAccess;
    signal?: AbortSignal;
  }): Promise<KubernetesSession> {
    const broker = await brokerClients(signal);
    const expiresAt = new Date(clock.now().getTime() + LEASE_TOKEN_SECONDS * 1000);
    // Revocation never carries the caller's signal: the kill switch must not stop its own clean-up.
    const revoke = async () => deleteLeaseSecret({ broker: await brokerClients(), connection, proposalId });
    let secret: { name: string; uid: string };
    try {
      secret = await ensureLeaseSecret({ broker, connection, proposalId, expiresAt });
    } catch (error) {
      // Cancelled or cut off, the create may still have reached the server: delete what it may have made.
      if (outcomeUnknown(error)) await revoke().catch(() => {});
      throw error;
    }
    let token: string;
    try {
      ({ token } = await mintLeaseToken({ broker, connection, access, secret }));
    } catch (error) {
      await revoke().catch(() => {});
      throw error;
    }
    redactor.addSecret(token);
    const clients = (await kubernetesClients())({
      connection,
      token,
      credential: access,
      signal,
      timeoutMs,
      redactor,
    });
    let closed = false;
    return {
      access,
      apps: clients.apps,
      core: clients.core,
      autoscaling: clients.autoscaling,
      lease: secret.name,
      close: async () => {
        if (closed) return;
        await revoke();
        closed = true;
        // Only a revoked token is forgotten: one whose revocation failed lives on for minutes.
        redactor.forgetSecret(token);
      },
    };
  }

  async function revokeForProposals(proposalIds: readonly string[]): Promise<void> {
    const broker = await brokerClients();
    const results = await Promise.allSettled(
      proposalIds.map((proposalId) => deleteLeaseSecret({ broker, connection, proposalId })),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  return {
    connection: connection.name,
    session,
    revokeForProposals,
    ping: async ({ signal } = {}) => checkBrokerAccess({ broker: await brokerClients(signal), connection }),
  };
}
