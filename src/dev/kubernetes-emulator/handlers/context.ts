import type { DeploymentController } from '../controller.ts';
import type { Caller, HttpAnswer, Json, JsonObject, StoredKind } from '../emulator.types.ts';
import type { LogStore } from '../logs.ts';
import type { Route } from '../routes.ts';
import { apiVersionOf } from '../routes.ts';
import { badRequest, invalid, notFound } from '../status.ts';
import type { ClusterStore, KindTypes } from '../store.ts';
import type { TokenIssuer } from '../tokens.ts';
import { findSchemaProblems } from '../validate.ts';

/** Everything the emulated cluster is made of, shared by the handlers. */
export type Cluster = {
  store: ClusterStore;
  logs: LogStore;
  controller: DeploymentController;
  tokens: TokenIssuer;
  apiAudiences: string[];
};

/** One authenticated, authorised request to a served resource. */
export type HandlerContext = {
  route: Route;
  query: URLSearchParams;
  /** The parsed JSON body (undefined when there was none). */
  body: Json | undefined;
  contentType: string;
  caller: Caller;
  cluster: Cluster;
};

export type Handler = (ctx: HandlerContext) => HttpAnswer;

/** 200 with an object. */
export const ok = (body: object, status = 200): HttpAnswer => ({ status, body: body as JsonObject });

/** The stored object the route names, or the 404 Status the server answers. */
export function findNamed<K extends StoredKind>(ctx: HandlerContext, kind: K): KindTypes[K] | HttpAnswer {
  const { namespace, name, resource, group } = ctx.route;
  return ctx.cluster.store.get(kind, namespace, name) ?? notFound({ resource, group, name });
}

/** Whether a handler step produced an answer (an error) rather than a value. */
export const isAnswer = (value: unknown): value is HttpAnswer =>
  typeof value === 'object' &&
  value !== null &&
  'status' in value &&
  typeof value.status === 'number' &&
  'body' in value;

/** An integer query parameter; a malformed one is a 400, as the server's parameter decoding says. */
export function intParam(query: URLSearchParams, name: string): number | undefined | HttpAnswer {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  if (!/^-?\d+$/.test(raw))
    return badRequest(`strconv.ParseInt: parsing ${JSON.stringify(raw)}: invalid syntax`);
  return Number(raw);
}

export const boolParam = (query: URLSearchParams, name: string): boolean =>
  query.get(name) === 'true' || query.get(name) === '1';

/**
 * The 422 for a request body that breaks its kind's schema, or a 400 when it is not an object of the
 * expected apiVersion and kind (the server cannot even decode it then).
 */
export function checkBody({
  body,
  kind,
  apiVersion,
  group,
  name,
}: {
  body: Json | undefined;
  kind: string;
  apiVersion: string;
  group: string;
  name: string;
}): JsonObject | HttpAnswer {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body))
    return badRequest(`the body of the request must be a ${kind} object`);
  const typed = { ...body, apiVersion: body.apiVersion ?? apiVersion, kind: body.kind ?? kind };
  if (typed.apiVersion !== apiVersion || typed.kind !== kind)
    return badRequest(
      `the API version in the data (${String(typed.apiVersion)}) and kind (${String(typed.kind)}) do not match the expected ${apiVersion}, Kind=${kind}`,
    );
  const causes = findSchemaProblems(typed);
  return causes.length > 0 ? invalid({ kind, group, name, causes }) : typed;
}

/** The apiVersion of the route's resource. */
export const routeApiVersion = (ctx: HandlerContext) => apiVersionOf(ctx.route);
