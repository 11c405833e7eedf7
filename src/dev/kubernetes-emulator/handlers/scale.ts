import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IScale } from 'kubernetes-models/autoscaling/v1/Scale';
import type { HttpAnswer, Json } from '../emulator.types.ts';
import { conflict, invalid } from '../status.ts';
import { keyOf } from '../store.ts';
import { assertValidObject } from '../validate.ts';
import { checkBody, findNamed, type Handler, type HandlerContext, isAnswer, ok } from './context.ts';
import { patchObject, updateDeployment } from './deployments.ts';

/** A label selector as a string (`metav1.FormatLabelSelector`): `app=checkout,tier in (a,b)`. */
function formatSelector(selector: NonNullable<IDeployment['spec']>['selector'] | undefined): string {
  const labels = Object.entries(selector?.matchLabels ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`);
  const expressions = (selector?.matchExpressions ?? []).map((e) => {
    if (e.operator === 'Exists') return e.key;
    if (e.operator === 'DoesNotExist') return `!${e.key}`;
    return `${e.key} ${e.operator.toLowerCase()} (${(e.values ?? []).join(',')})`;
  });
  return [...labels, ...expressions].join(',');
}

/** The autoscaling/v1 Scale of a Deployment, carrying the Deployment's identity and resourceVersion. */
function scaleOf(deployment: IDeployment): IScale {
  const { name, namespace, uid, resourceVersion } = keyOf(deployment);
  const scale: IScale = {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: {
      name,
      namespace,
      uid,
      resourceVersion,
      creationTimestamp: deployment.metadata?.creationTimestamp,
    },
    spec: { replicas: deployment.spec?.replicas ?? 1 },
    status: {
      replicas: deployment.status?.replicas ?? 0,
      selector: formatSelector(deployment.spec?.selector),
    },
  };
  assertValidObject(scale);
  return scale;
}

/** Sets the Deployment's replicas from a Scale body: 422 for a bad Scale, 409 for a stale resourceVersion. */
function applyScale(ctx: HandlerContext, deployment: IDeployment, body: Json | undefined): HttpAnswer {
  const { name } = keyOf(deployment);
  const checked = checkBody({
    body,
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    group: 'autoscaling',
    name,
  });
  if (isAnswer(checked)) return checked;
  const scale = checked as unknown as IScale;
  const replicas = scale.spec?.replicas ?? 0;
  if (replicas < 0)
    return invalid({
      kind: 'Scale',
      group: 'autoscaling',
      name,
      causes: [
        {
          field: 'spec.replicas',
          reason: 'FieldValueInvalid',
          message: `Invalid value: ${replicas}: must be greater than or equal to 0`,
        },
      ],
    });
  const given = scale.metadata?.resourceVersion;
  if (given !== undefined && given !== deployment.metadata?.resourceVersion)
    return conflict({ resource: 'deployments', group: 'apps', name });
  const answer = updateDeployment(ctx, deployment, {
    ...deployment,
    spec: { ...deployment.spec, replicas },
  } as unknown as Json);
  if (answer.status !== 200 || typeof answer.body === 'string') return answer;
  return ok(scaleOf(answer.body as unknown as IDeployment));
}

/** `GET …/deployments/{name}/scale`. */
export const getScale: Handler = (ctx) => {
  const deployment = findNamed(ctx, 'Deployment');
  return isAnswer(deployment) ? deployment : ok(scaleOf(deployment));
};

/** `PUT …/deployments/{name}/scale` with a Scale (what `kubectl scale` and HPAs do). */
export const replaceScale: Handler = (ctx) => {
  const deployment = findNamed(ctx, 'Deployment');
  return isAnswer(deployment) ? deployment : applyScale(ctx, deployment, ctx.body);
};

/** `PATCH …/deployments/{name}/scale`: the patch applies to the Scale, e.g. `{"spec":{"replicas":5}}`. */
export const patchScale: Handler = (ctx) => {
  const deployment = findNamed(ctx, 'Deployment');
  if (isAnswer(deployment)) return deployment;
  const patched = patchObject(ctx, scaleOf(deployment));
  return isAnswer(patched) ? patched : applyScale(ctx, deployment, patched);
};
