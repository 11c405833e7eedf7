import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { HttpAnswer, Json, JsonObject } from '../emulator.types.ts';
import { canonical } from '../names.ts';
import { applyPatch, PATCH_TYPES, PatchError, type PatchType } from '../patch.ts';
import {
  badRequest,
  conflict,
  type FieldCause,
  invalid,
  statusFailure,
  unsupportedMediaType,
} from '../status.ts';
import { keyOf } from '../store.ts';
import { checkBody, findNamed, type Handler, type HandlerContext, isAnswer, ok } from './context.ts';

const equal = (a: unknown, b: unknown) => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));

/** The PATCH type of a Content-Type header, or undefined for one the server refuses (415). */
export function patchTypeOf(contentType: string): PatchType | undefined {
  const base = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return PATCH_TYPES.find((t) => t === base);
}

/** Applies a PATCH body, turning an inapplicable patch into the server's 400 or 422. */
export function patchObject(ctx: HandlerContext, target: object): Json | HttpAnswer {
  const type = patchTypeOf(ctx.contentType);
  if (!type) return unsupportedMediaType(ctx.contentType);
  try {
    return applyPatch({ type, target: target as JsonObject, patch: ctx.body ?? null });
  } catch (error) {
    if (!(error instanceof PatchError)) throw error;
    return error.code === 400
      ? badRequest(error.message)
      : statusFailure({ code: 422, reason: 'Invalid', message: error.message });
  }
}

/** The apps/v1 validation the schema cannot express: replica count, selector immutability and match. */
function deploymentProblems(current: IDeployment, next: IDeployment): FieldCause[] {
  const causes: FieldCause[] = [];
  const invalidValue = (field: string, value: unknown, message: string) =>
    causes.push({
      field,
      reason: 'FieldValueInvalid',
      message: `Invalid value: ${JSON.stringify(value)}: ${message}`,
    });
  if (next.metadata?.name !== current.metadata?.name)
    invalidValue('metadata.name', next.metadata?.name, 'field is immutable');
  const replicas = next.spec?.replicas;
  if (replicas !== undefined && replicas < 0)
    invalidValue('spec.replicas', replicas, 'must be greater than or equal to 0');
  if (!equal(next.spec?.selector, current.spec?.selector))
    invalidValue('spec.selector', next.spec?.selector, 'field is immutable');
  const labels = next.spec?.template.metadata?.labels ?? {};
  const wanted = next.spec?.selector.matchLabels ?? {};
  if (Object.entries(wanted).some(([k, v]) => labels[k] !== v))
    invalidValue('spec.template.metadata.labels', labels, '`selector` does not match template `labels`');
  return causes;
}

/**
 * Stores a new version of a Deployment after the server's checks: schema (422), immutable fields (422),
 * `resourceVersion` precondition (409). Status cannot be changed this way; a spec change bumps
 * `metadata.generation`. Then the controller runs; `dryRun=All` returns the result without storing it.
 */
export function updateDeployment(ctx: HandlerContext, current: IDeployment, candidate: Json): HttpAnswer {
  const { name, namespace } = keyOf(current);
  const checked = checkBody({
    body: candidate,
    kind: 'Deployment',
    apiVersion: 'apps/v1',
    group: 'apps',
    name,
  });
  if (isAnswer(checked)) return checked;
  const next = checked as unknown as IDeployment;
  const causes = deploymentProblems(current, next);
  if (causes.length > 0) return invalid({ kind: 'Deployment', group: 'apps', name, causes });
  if (
    next.metadata?.resourceVersion !== undefined &&
    next.metadata.resourceVersion !== current.metadata?.resourceVersion
  )
    return conflict({ resource: 'deployments', group: 'apps', name });

  const specChanged = !equal(next.spec, current.spec);
  const generation = (current.metadata?.generation ?? 1) + (specChanged ? 1 : 0);
  const updated: IDeployment = {
    ...next,
    metadata: {
      ...next.metadata,
      name,
      namespace,
      uid: current.metadata?.uid,
      creationTimestamp: current.metadata?.creationTimestamp,
      generation,
    },
    ...(current.status ? { status: current.status } : {}),
  };
  if (ctx.query.get('dryRun') === 'All') return ok(updated);
  if (!specChanged && equal(updated.metadata, current.metadata)) return ok(current);
  ctx.cluster.store.update('Deployment', updated);
  ctx.cluster.controller.reconcile({ namespace, name });
  return ok(ctx.cluster.store.get('Deployment', namespace, name) ?? updated);
}

/** `PATCH …/deployments/{name}` with a JSON, merge or strategic-merge patch. */
export const patchDeployment: Handler = (ctx) => {
  const current = findNamed(ctx, 'Deployment');
  if (isAnswer(current)) return current;
  const patched = patchObject(ctx, current);
  return isAnswer(patched) ? patched : updateDeployment(ctx, current, patched);
};
