import type { ISelfSubjectAccessReview } from 'kubernetes-models/authorization.k8s.io/v1/SelfSubjectAccessReview';
import type { RequestAttributes } from '../access.ts';
import type { Caller, HttpAnswer, Json } from '../emulator.types.ts';
import { badRequest } from '../status.ts';
import { assertValidObject } from '../validate.ts';
import { checkBody, isAnswer, ok } from './context.ts';

const GROUP = 'authorization.k8s.io';

/** The one cluster-scoped path the emulator serves: every authenticated user may ask about itself. */
export const SELF_SUBJECT_ACCESS_REVIEWS = `/apis/${GROUP}/v1/selfsubjectaccessreviews`;

/**
 * `POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews`: whether the caller's own rules allow
 * the `resourceAttributes` (what `kubectl auth can-i` asks). Non-resource requests are never allowed
 * here (the emulator has no rules for them). Answers 201 with `status.allowed`, as the server does.
 */
export function reviewSelfAccess({
  body,
  caller,
  authorize,
}: {
  body: Json | undefined;
  caller: Caller;
  authorize: (caller: Caller, request: RequestAttributes) => boolean;
}): HttpAnswer {
  const checked = checkBody({
    body,
    kind: 'SelfSubjectAccessReview',
    apiVersion: `${GROUP}/v1`,
    group: GROUP,
    name: '',
  });
  if (isAnswer(checked)) return checked;
  const review = checked as unknown as ISelfSubjectAccessReview;
  const attributes = review.spec.resourceAttributes;
  if (!attributes && !review.spec.nonResourceAttributes)
    return badRequest('exactly one of nonResourceAttributes or resourceAttributes must be specified');
  const allowed =
    attributes !== undefined &&
    authorize(caller, {
      verb: attributes.verb ?? '',
      resource: attributes.resource ?? '',
      subresource: attributes.subresource ? attributes.subresource : null,
      namespace: attributes.namespace ?? '',
      name: attributes.name ?? '',
    });
  const answer: ISelfSubjectAccessReview = {
    apiVersion: `${GROUP}/v1`,
    kind: 'SelfSubjectAccessReview',
    metadata: {},
    spec: review.spec,
    status: allowed
      ? { allowed: true, reason: `RBAC: allowed by the emulator rules of ${caller.user}` }
      : { allowed: false },
  };
  assertValidObject(answer);
  return ok(answer, 201);
}
