import type { ConnectionSpec, SecretSource } from '../catalog/catalog.schemas.ts';

/** Signed runbook webhooks with the signing secret read; only the runbook client ever holds it. */
export type RunbooksConnection = {
  name: string;
  kind: 'runbooks';
  /** The secret as configured (`whsec_…` or plain text); `signingKey` is what HMAC uses. */
  signingSecret: string;
  allowLoopback: boolean;
  timeoutMs: number;
  maxResponseBytes: number;
};

/** The runbooks connection of a catalog entry, once its secret was read (null: it could not be). */
export function resolveRunbooksConnection({
  name,
  spec,
  read,
}: {
  name: string;
  spec: Extract<ConnectionSpec, { kind: 'runbooks' }>;
  read: (source: SecretSource, what: string) => string | null;
}): RunbooksConnection | null {
  const signingSecret = read(spec.signing_secret, 'signing secret');
  if (signingSecret === null) return null;
  return {
    name,
    kind: 'runbooks',
    signingSecret,
    allowLoopback: spec.allow_loopback,
    timeoutMs: spec.timeout_ms,
    maxResponseBytes: spec.max_response_bytes,
  };
}
