import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { DeploymentList } from 'kubernetes-models/apps/v1/DeploymentList';
import { ReplicaSet } from 'kubernetes-models/apps/v1/ReplicaSet';
import { ReplicaSetList } from 'kubernetes-models/apps/v1/ReplicaSetList';
import { TokenRequest } from 'kubernetes-models/authentication.k8s.io/v1/TokenRequest';
import { SelfSubjectAccessReview } from 'kubernetes-models/authorization.k8s.io/v1/SelfSubjectAccessReview';
import { Scale } from 'kubernetes-models/autoscaling/v1/Scale';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { HorizontalPodAutoscalerList } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscalerList';
import { Event } from 'kubernetes-models/v1/Event';
import { EventList } from 'kubernetes-models/v1/EventList';
import { Pod } from 'kubernetes-models/v1/Pod';
import { PodList } from 'kubernetes-models/v1/PodList';
import { Secret } from 'kubernetes-models/v1/Secret';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { Json, JsonObject } from './emulator.types.ts';
import type { FieldCause } from './status.ts';

type ModelClass = new (data: JsonObject) => { validate(): void };
type AjvError = { instancePath: string; keyword: string; message?: string; params: Record<string, unknown> };

// The generated models each carry the OpenAPI schema of their kind; one table keyed by apiVersion/kind.
const MODELS: Record<string, ModelClass> = Object.fromEntries(
  (
    [
      ['v1/Pod', Pod],
      ['v1/PodList', PodList],
      ['v1/Event', Event],
      ['v1/EventList', EventList],
      ['v1/Secret', Secret],
      ['v1/ServiceAccount', ServiceAccount],
      ['apps/v1/Deployment', Deployment],
      ['apps/v1/DeploymentList', DeploymentList],
      ['apps/v1/ReplicaSet', ReplicaSet],
      ['apps/v1/ReplicaSetList', ReplicaSetList],
      ['autoscaling/v1/Scale', Scale],
      ['autoscaling/v2/HorizontalPodAutoscaler', HorizontalPodAutoscaler],
      ['autoscaling/v2/HorizontalPodAutoscalerList', HorizontalPodAutoscalerList],
      ['authentication.k8s.io/v1/TokenRequest', TokenRequest],
      ['authorization.k8s.io/v1/SelfSubjectAccessReview', SelfSubjectAccessReview],
    ] as const
  ).map(([key, model]) => [key, model as unknown as ModelClass]),
);

/** `/spec/template/spec/containers/0/name` → `spec.template.spec.containers[0].name`, as field paths read. */
function fieldPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part), '');
}

function valueAt(data: Json, pointer: string): Json | undefined {
  let current: Json | undefined = data;
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (current === null || typeof current !== 'object') return undefined;
    current = Array.isArray(current) ? current[Number(part)] : current[part];
  }
  return current;
}

function toCause(error: AjvError, data: JsonObject): FieldCause {
  const field = fieldPath(error.instancePath);
  if (error.keyword === 'required') {
    const missing = String(error.params.missingProperty);
    return {
      field: field ? `${field}.${missing}` : missing,
      reason: 'FieldValueRequired',
      message: 'Required value',
    };
  }
  const value = JSON.stringify(valueAt(data, error.instancePath) ?? null);
  if (error.keyword === 'enum') {
    const allowed = (error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ');
    return {
      field,
      reason: 'FieldValueNotSupported',
      message: `Unsupported value: ${value}: supported values: ${allowed}`,
    };
  }
  return {
    field,
    reason: 'FieldValueInvalid',
    message: `Invalid value: ${value}: ${error.message ?? 'invalid'}`,
  };
}

/**
 * The schema problems of an object (empty when valid), checked by the `kubernetes-models` model of its
 * apiVersion/kind. An apiVersion/kind the emulator has no model for is itself a problem.
 */
export function findSchemaProblems(value: object): FieldCause[] {
  const object = value as JsonObject;
  const key = `${String(object.apiVersion)}/${String(object.kind)}`;
  const Model = MODELS[key];
  if (!Model)
    return [
      {
        field: 'kind',
        reason: 'FieldValueNotSupported',
        message: `Unsupported value: ${JSON.stringify(key)}: the emulator has no schema for it`,
      },
    ];
  try {
    new Model(object).validate();
    return [];
  } catch (error) {
    const errors = (error as { errors?: AjvError[] }).errors;
    if (!Array.isArray(errors)) throw error;
    return errors.map((e) => toCause(e, object));
  }
}

/** An object the emulator itself produced broke the schema: an emulator bug, so it must fail loudly. */
export class EmulatorSchemaError extends Error {
  constructor(
    readonly object: object,
    readonly causes: FieldCause[],
  ) {
    const { kind, metadata } = object as { kind?: string; metadata?: { name?: string } };
    const name = metadata?.name;
    super(
      `kubernetes emulator produced an invalid ${String(kind)} "${String(name)}": ${causes
        .map((c) => `${c.field}: ${c.message}`)
        .join('; ')}`,
    );
    this.name = 'EmulatorSchemaError';
  }
}

/** Throws `EmulatorSchemaError` unless the object matches its schema. */
export function assertValidObject(object: object): void {
  const causes = findSchemaProblems(object);
  if (causes.length > 0) throw new EmulatorSchemaError(object, causes);
}
