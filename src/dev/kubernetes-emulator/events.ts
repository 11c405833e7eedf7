import { randomBytes } from 'node:crypto';
import type { IEvent } from 'kubernetes-models/v1/Event';
import { kubeTime } from './names.ts';
import type { ClusterStore } from './store.ts';

/** The object an event is about. */
export type InvolvedObject = {
  kind: string;
  apiVersion: string;
  name: string;
  namespace: string;
  uid: string;
  /** `spec.containers{checkout}` for events about one container. */
  fieldPath?: string;
};

/** Builds a core/v1 Event as a controller or the kubelet records it (`<object>.<16 hex>` names). */
export function buildEvent({
  involved,
  type,
  reason,
  message,
  component,
  count = 1,
  firstAt,
  lastAt,
}: {
  involved: InvolvedObject;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  component: string;
  count?: number;
  firstAt: number;
  lastAt: number;
}): IEvent {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${involved.name}.${randomBytes(8).toString('hex')}`, namespace: involved.namespace },
    involvedObject: {
      kind: involved.kind,
      apiVersion: involved.apiVersion,
      name: involved.name,
      namespace: involved.namespace,
      uid: involved.uid,
      ...(involved.fieldPath ? { fieldPath: involved.fieldPath } : {}),
    },
    type,
    reason,
    message,
    source: { component, ...(component === 'kubelet' ? { host: 'emulator-node-1' } : {}) },
    count,
    firstTimestamp: kubeTime(firstAt),
    lastTimestamp: kubeTime(lastAt),
    reportingComponent: component,
    reportingInstance: component === 'kubelet' ? 'emulator-node-1' : '',
  };
}

/** Records an event now. */
export function recordEvent(
  store: ClusterStore,
  event: Omit<Parameters<typeof buildEvent>[0], 'firstAt' | 'lastAt'>,
): void {
  const now = store.clock();
  store.create('Event', buildEvent({ ...event, firstAt: now, lastAt: now }));
}
