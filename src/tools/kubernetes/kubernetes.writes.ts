import type { PatchStrategy } from '@kubernetes/client-node';
import { isWardenError } from '../../shared/errors.ts';

/**
 * Call options that send a PATCH body as this kind of patch. client-node is loaded here, not at import
 * (it is heavy and only a write to a cluster needs it; by then the session has loaded it already).
 */
export async function patchAs(kind: keyof typeof PatchStrategy) {
  const { PatchStrategy: strategies, setHeaderOptions } = await import('@kubernetes/client-node');
  return setHeaderOptions('Content-Type', strategies[kind]);
}

/** What a write tool returns so the change can be taken back: the tool and arguments that undo it. */
export type Undo = { tool: string; args: Record<string, unknown> };

/**
 * Runs read-then-write `attempt` again (at most three times) when the API server says the object changed
 * in between (409 Conflict on the `resourceVersion` the write carried): each attempt reads afresh.
 */
export async function retryOnConflict<T>(attempt: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      const conflict = isWardenError(error) && error.details.reason === 'Conflict';
      if (!conflict || tries >= 3) throw error;
    }
  }
}

/**
 * Reads a record a write tool left in an annotation (JSON), for a retry of the same proposal to
 * recognise its own earlier write. Anything unreadable is no record.
 */
export function readRecord<T extends { key: string }>(
  annotations: Record<string, string> | undefined,
  name: string,
  isRecord: (value: Record<string, unknown>) => boolean,
): T | null {
  const raw = annotations?.[name];
  if (!raw) return null;
  try {
    const value = JSON.parse(raw) as unknown;
    return value &&
      typeof value === 'object' &&
      typeof (value as { key?: unknown }).key === 'string' &&
      isRecord(value as Record<string, unknown>)
      ? (value as T)
      : null;
  } catch {
    return null;
  }
}

/** An RFC 3339 time without fractions, as kubectl writes `restartedAt`. */
export const kubeTime = (at: Date): string => at.toISOString().replace(/\.\d{3}Z$/, 'Z');
