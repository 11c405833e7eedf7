import type { HttpAnswer, JsonObject } from './emulator.types.ts';

/** Where an error is about: the resource (plural), its API group ('' for core) and the object's name. */
export type StatusTarget = { resource: string; group: string; name?: string };

/** A field problem, as `field.Error` renders it in a 422. */
export type FieldCause = {
  field: string;
  reason: 'FieldValueInvalid' | 'FieldValueRequired' | 'FieldValueNotSupported' | 'FieldValueForbidden';
  /** `Invalid value: 599: may not specify …` or `Required value`. */
  message: string;
};

const qualified = ({ resource, group }: StatusTarget) => (group === '' ? resource : `${resource}.${group}`);

function details(target: StatusTarget): JsonObject {
  return {
    ...(target.name === undefined ? {} : { name: target.name }),
    ...(target.group === '' ? {} : { group: target.group }),
    kind: target.resource,
  };
}

/** A `Status` failure exactly as the API server shapes it (`metav1.Status`). */
export function statusFailure({
  code,
  reason,
  message,
  statusDetails,
  headers,
}: {
  code: number;
  reason: string;
  message: string;
  statusDetails?: JsonObject;
  headers?: Record<string, string>;
}): HttpAnswer {
  return {
    status: code,
    body: {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      ...(statusDetails ? { details: statusDetails } : {}),
      code,
    },
    ...(headers ? { headers } : {}),
  };
}

/** 401: the API server says no more than this, whatever was wrong with the credentials. */
export const unauthorized = (): HttpAnswer =>
  statusFailure({ code: 401, reason: 'Unauthorized', message: 'Unauthorized' });

/** 404 for a named object: `deployments.apps "checkout" not found`. */
export function notFound(target: StatusTarget & { name: string }): HttpAnswer {
  return statusFailure({
    code: 404,
    reason: 'NotFound',
    message: `${qualified(target)} "${target.name}" not found`,
    statusDetails: details(target),
  });
}

/** 404 for a path the emulator does not know. */
export const unknownPath = (): HttpAnswer =>
  statusFailure({
    code: 404,
    reason: 'NotFound',
    message: 'the server could not find the requested resource',
  });

/** 403 with RBAC's wording, e.g. `User "…" cannot patch resource "deployments" in API group "apps" in the namespace "shop"`. */
export function forbidden({
  target,
  user,
  verb,
  resourceWithSubresource,
  namespace,
}: {
  target: StatusTarget;
  user: string;
  verb: string;
  resourceWithSubresource: string;
  namespace: string;
}): HttpAnswer {
  const why = `User "${user}" cannot ${verb} resource "${resourceWithSubresource}" in API group "${target.group}" in the namespace "${namespace}"`;
  const subject = target.name === undefined ? qualified(target) : `${qualified(target)} "${target.name}"`;
  return statusFailure({
    code: 403,
    reason: 'Forbidden',
    message: `${subject} is forbidden: ${why}`,
    statusDetails: details(target),
  });
}

/** 422 Invalid: `Kind.group "name" is invalid: field: message` (several causes are bracketed). */
export function invalid({
  kind,
  group,
  name,
  causes,
}: {
  kind: string;
  group: string;
  name: string;
  causes: FieldCause[];
}): HttpAnswer {
  const rendered = causes.map((c) => `${c.field}: ${c.message}`);
  const list = rendered.length === 1 ? (rendered[0] ?? '') : `[${rendered.join(', ')}]`;
  const qualifiedKind = group === '' ? kind : `${kind}.${group}`;
  return statusFailure({
    code: 422,
    reason: 'Invalid',
    message: `${qualifiedKind} "${name}" is invalid: ${list}`,
    statusDetails: {
      name,
      ...(group === '' ? {} : { group }),
      kind,
      causes: causes.map((c) => ({ reason: c.reason, message: c.message, field: c.field })),
    },
  });
}

/** 409 for a stale `resourceVersion` (optimistic concurrency). */
export function conflict(target: StatusTarget & { name: string }): HttpAnswer {
  return statusFailure({
    code: 409,
    reason: 'Conflict',
    message: `Operation cannot be fulfilled on ${qualified(target)} "${target.name}": the object has been modified; please apply your changes to the latest version and try again`,
    statusDetails: details(target),
  });
}

/** 409 for a create whose name is taken. */
export function alreadyExists(target: StatusTarget & { name: string }): HttpAnswer {
  return statusFailure({
    code: 409,
    reason: 'AlreadyExists',
    message: `${qualified(target)} "${target.name}" already exists`,
    statusDetails: details(target),
  });
}

/** 400 BadRequest with the server's message. */
export const badRequest = (message: string): HttpAnswer =>
  statusFailure({ code: 400, reason: 'BadRequest', message });

/** 405 for a verb the emulator does not serve on a resource it knows (the real server would). */
export const notServed = (what: string): HttpAnswer =>
  statusFailure({
    code: 405,
    reason: 'MethodNotAllowed',
    message: `the server does not allow this method on the requested resource (the Kubernetes emulator does not serve ${what})`,
  });

/** 415 for a PATCH content type the server does not accept. */
export const unsupportedMediaType = (contentType: string): HttpAnswer =>
  statusFailure({
    code: 415,
    reason: 'UnsupportedMediaType',
    message: `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (got ${contentType})`,
  });

const REASON_BY_CODE: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  410: 'Expired',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/** The Status an injected fault answers with; 429 and 503 carry Retry-After as the real server's do. */
export function faultStatus({
  code,
  message,
  retryAfterSeconds,
}: {
  code: number;
  message?: string | undefined;
  retryAfterSeconds?: number | undefined;
}): HttpAnswer {
  const retry = retryAfterSeconds ?? (code === 429 || code === 503 ? 1 : undefined);
  return statusFailure({
    code,
    reason: REASON_BY_CODE[code] ?? 'Unknown',
    message: message ?? `injected fault: ${code}`,
    ...(retry === undefined
      ? {}
      : { statusDetails: { retryAfterSeconds: retry }, headers: { 'retry-after': String(retry) } }),
  });
}
