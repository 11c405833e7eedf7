import type { Handler } from './context.ts';
import { patchDeployment } from './deployments.ts';
import { readPodLog } from './pod-log.ts';
import { getObject, listObjects, watchNotServed } from './read.ts';
import { getScale, patchScale, replaceScale } from './scale.ts';
import { createSecret, deleteSecret } from './secrets.ts';
import { createServiceAccountToken } from './token-request.ts';

/** What the emulator serves: resource → subresource ('' for the object itself) → RBAC verb → handler. */
export const HANDLERS: Record<string, Record<string, Record<string, Handler>>> = {
  pods: {
    '': { list: listObjects, get: getObject, watch: watchNotServed },
    log: { get: readPodLog },
  },
  deployments: {
    '': { list: listObjects, get: getObject, patch: patchDeployment, watch: watchNotServed },
    scale: { get: getScale, update: replaceScale, patch: patchScale },
  },
  replicasets: { '': { list: listObjects, get: getObject, watch: watchNotServed } },
  events: { '': { list: listObjects, get: getObject, watch: watchNotServed } },
  horizontalpodautoscalers: { '': { list: listObjects, get: getObject, watch: watchNotServed } },
  secrets: { '': { create: createSecret, get: getObject, delete: deleteSecret } },
  serviceaccounts: { token: { create: createServiceAccountToken } },
};

export type { Cluster, Handler, HandlerContext } from './context.ts';
