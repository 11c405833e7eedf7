import type { ISecret } from 'kubernetes-models/v1/Secret';
import { randomSuffix } from '../names.ts';
import { alreadyExists, badRequest, invalid, notFound, statusFailure } from '../status.ts';
import { checkBody, type Handler, isAnswer, ok } from './context.ts';

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const SUBDOMAIN_MESSAGE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

/**
 * `POST …/secrets`: name or generateName, namespace must exist and match, `stringData` folded into
 * `data` (base64) as the server does, 409 AlreadyExists for a taken name, 201 with the stored Secret.
 */
export const createSecret: Handler = (ctx) => {
  const { namespace } = ctx.route;
  const body = ctx.body as { metadata?: { name?: string; generateName?: string } } | undefined;
  const name =
    body?.metadata?.name ??
    (body?.metadata?.generateName ? `${body.metadata.generateName}${randomSuffix()}` : '');
  const checked = checkBody({ body: ctx.body, kind: 'Secret', apiVersion: 'v1', group: '', name });
  if (isAnswer(checked)) return checked;
  const secret = checked as unknown as ISecret;
  if (name === '')
    return invalid({
      kind: 'Secret',
      group: '',
      name: '',
      causes: [
        {
          field: 'metadata.name',
          reason: 'FieldValueRequired',
          message: 'Required value: name or generateName is required',
        },
      ],
    });
  if (name.length > 253 || !DNS_SUBDOMAIN.test(name))
    return invalid({
      kind: 'Secret',
      group: '',
      name,
      causes: [
        {
          field: 'metadata.name',
          reason: 'FieldValueInvalid',
          message: `Invalid value: "${name}": ${SUBDOMAIN_MESSAGE}`,
        },
      ],
    });
  if (secret.metadata?.namespace !== undefined && secret.metadata.namespace !== namespace)
    return badRequest(
      'the namespace of the provided object does not match the namespace sent on the request',
    );
  if (!ctx.cluster.store.hasNamespace(namespace))
    return notFound({ resource: 'namespaces', group: '', name: namespace });
  if (ctx.cluster.store.get('Secret', namespace, name))
    return alreadyExists({ resource: 'secrets', group: '', name });

  const folded = Object.fromEntries(
    Object.entries(secret.stringData ?? {}).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')]),
  );
  const { stringData: _plain, ...rest } = secret;
  const {
    uid: _uid,
    resourceVersion: _rv,
    creationTimestamp: _at,
    generateName: _g,
    ...metadata
  } = secret.metadata ?? {};
  const created = ctx.cluster.store.create('Secret', {
    ...rest,
    metadata: { ...metadata, name, namespace },
    type: secret.type ?? 'Opaque',
    ...(secret.data || secret.stringData ? { data: { ...secret.data, ...folded } } : {}),
  });
  return ok(created, 201);
};

/**
 * `DELETE …/secrets/{name}`: answers a success Status, as the server does for objects deleted at once.
 * A `preconditions.uid` or `preconditions.resourceVersion` in the DeleteOptions body must match (409).
 */
export const deleteSecret: Handler = (ctx) => {
  const { namespace, name } = ctx.route;
  const secret = ctx.cluster.store.get('Secret', namespace, name);
  if (!secret) return notFound({ resource: 'secrets', group: '', name });
  const preconditions = (
    ctx.body as { preconditions?: { uid?: string; resourceVersion?: string } } | undefined
  )?.preconditions;
  const uid = secret.metadata?.uid ?? '';
  if (preconditions?.uid && preconditions.uid !== uid)
    return statusFailure({
      code: 409,
      reason: 'Conflict',
      message: `Operation cannot be fulfilled on secrets "${name}": Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${uid}`,
      statusDetails: { name, kind: 'secrets' },
    });
  if (preconditions?.resourceVersion && preconditions.resourceVersion !== secret.metadata?.resourceVersion)
    return statusFailure({
      code: 409,
      reason: 'Conflict',
      message: `Operation cannot be fulfilled on secrets "${name}": Precondition failed: ResourceVersion in precondition: ${preconditions.resourceVersion}, ResourceVersion in object meta: ${secret.metadata?.resourceVersion}`,
      statusDetails: { name, kind: 'secrets' },
    });
  ctx.cluster.store.remove('Secret', namespace, name);
  return ok({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { name, kind: 'secrets', uid },
  });
};
