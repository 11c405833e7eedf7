import type { ITokenRequest } from 'kubernetes-models/authentication.k8s.io/v1/TokenRequest';
import type { HttpAnswer } from '../emulator.types.ts';
import { kubeTime } from '../names.ts';
import { badRequest, type FieldCause, invalid, notFound, statusFailure } from '../status.ts';
import type { BoundObject } from '../tokens.ts';
import { assertValidObject } from '../validate.ts';
import { checkBody, type HandlerContext, isAnswer, ok } from './context.ts';

const GROUP = 'authentication.k8s.io';
const DEFAULT_EXPIRATION_SECONDS = 3600;
const MIN_EXPIRATION_SECONDS = 600;
const MAX_EXPIRATION_SECONDS = 2 ** 32;

function expirationProblems(seconds: number): FieldCause[] {
  const at = (message: string): FieldCause => ({
    field: 'spec.expirationSeconds',
    reason: 'FieldValueInvalid',
    message: `Invalid value: ${seconds}: ${message}`,
  });
  if (seconds < MIN_EXPIRATION_SECONDS) return [at('may not specify a duration less than 10 minutes')];
  if (seconds > MAX_EXPIRATION_SECONDS) return [at('may not specify a duration larger than 2^32 seconds')];
  return [];
}

/** The bound object as the registry resolves it: 400 for a kind it cannot bind, 404 missing, 409 other uid. */
function resolveBound(ctx: HandlerContext, request: ITokenRequest): BoundObject | null | HttpAnswer {
  const ref = request.spec.boundObjectRef;
  if (!ref) return null;
  const { namespace, name: account } = ctx.route;
  const apiVersion = ref.apiVersion ?? '';
  if (apiVersion !== 'v1' || (ref.kind !== 'Secret' && ref.kind !== 'Pod')) {
    const gvk = `${apiVersion.includes('/') ? apiVersion : `/${apiVersion}`}, Kind=${ref.kind ?? ''}`;
    return badRequest(`cannot bind token for serviceaccount "${account}" to object of type ${gvk}`);
  }
  const name = ref.name ?? '';
  const found = ctx.cluster.store.get(ref.kind, namespace, name);
  if (!found) return notFound({ resource: ref.kind === 'Secret' ? 'secrets' : 'pods', group: '', name });
  const uid = found.metadata?.uid ?? '';
  if (ref.uid && ref.uid !== uid)
    return statusFailure({
      code: 409,
      reason: 'Conflict',
      message: `Operation cannot be fulfilled on ${ref.kind} "${name}": the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
      statusDetails: { name, kind: ref.kind },
    });
  return { kind: ref.kind, name, uid };
}

/**
 * `POST …/serviceaccounts/{name}/token` (TokenRequest): the service account must exist (404),
 * `expirationSeconds` defaults to 3600 and must be 600…2^32 (422), empty `audiences` default to the API
 * server's, and a `boundObjectRef` (Secret or Pod) must resolve. Answers 201 with the token.
 */
export function createServiceAccountToken(ctx: HandlerContext): HttpAnswer {
  const { namespace, name } = ctx.route;
  const account = ctx.cluster.store.get('ServiceAccount', namespace, name);
  if (!account) return notFound({ resource: 'serviceaccounts', group: '', name });
  const checked = checkBody({
    body: ctx.body,
    kind: 'TokenRequest',
    apiVersion: `${GROUP}/v1`,
    group: GROUP,
    name,
  });
  if (isAnswer(checked)) return checked;
  const request = checked as unknown as ITokenRequest;
  const expirationSeconds = request.spec.expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS;
  const causes = expirationProblems(expirationSeconds);
  if (causes.length > 0) return invalid({ kind: 'TokenRequest', group: GROUP, name, causes });
  const bound = resolveBound(ctx, request);
  if (isAnswer(bound)) return bound;

  const audiences = request.spec.audiences.length > 0 ? request.spec.audiences : ctx.cluster.apiAudiences;
  const { token, claims } = ctx.cluster.tokens.issue({
    namespace,
    serviceAccount: { name, uid: account.metadata?.uid ?? '' },
    audiences,
    expirationSeconds,
    bound,
  });
  const answer: ITokenRequest = {
    apiVersion: `${GROUP}/v1`,
    kind: 'TokenRequest',
    metadata: { name, namespace },
    spec: {
      audiences,
      expirationSeconds,
      // The server fills in the uid it bound the token to.
      ...(request.spec.boundObjectRef && bound
        ? { boundObjectRef: { ...request.spec.boundObjectRef, uid: bound.uid } }
        : {}),
    },
    status: { token, expirationTimestamp: kubeTime(claims.exp * 1000) },
  };
  assertValidObject(answer);
  return ok(answer, 201);
}
