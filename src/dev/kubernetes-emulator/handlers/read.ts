import { parseFieldSelector, parseLabelSelector, SelectorError } from '../selectors.ts';
import { badRequest, statusFailure } from '../status.ts';
import { assertValidObject } from '../validate.ts';
import { findNamed, type Handler, intParam, isAnswer, ok, routeApiVersion } from './context.ts';

type Continue = { resourceVersion: string; start: number };

function decodeContinue(token: string | null): Continue | undefined | 'invalid' {
  if (!token) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Continue;
    return typeof parsed.start === 'number' ? parsed : 'invalid';
  } catch {
    return 'invalid';
  }
}

/**
 * `GET …/{resource}`: the namespace's objects filtered by `labelSelector` and `fieldSelector`, paged by
 * `limit`/`continue`. The list is validated with the kind's list model; its items are then served without
 * `apiVersion` and `kind`, as the API server serves list items.
 */
export const listObjects: Handler = (ctx) => {
  const { kind, listKind, namespace } = ctx.route;
  let matches: (object: { metadata?: { labels?: Record<string, string> } }) => boolean;
  try {
    const labels = parseLabelSelector(ctx.query.get('labelSelector') ?? undefined);
    const fields = parseFieldSelector(kind, ctx.query.get('fieldSelector') ?? undefined);
    matches = (object) => labels(object.metadata?.labels) && fields(object);
  } catch (error) {
    if (error instanceof SelectorError) return badRequest(error.message);
    throw error;
  }
  const limit = intParam(ctx.query, 'limit');
  if (isAnswer(limit)) return limit;
  const from = decodeContinue(ctx.query.get('continue'));
  if (from === 'invalid') return badRequest('continue key is not valid: illegal base64 data');

  const all = ctx.cluster.store.list(kind, namespace).filter(matches);
  const start = from?.start ?? 0;
  const end = limit && limit > 0 ? start + limit : all.length;
  const items = all.slice(start, end);
  const remaining = all.length - Math.min(end, all.length);
  const resourceVersion = from?.resourceVersion ?? ctx.cluster.store.resourceVersion();
  const metadata = {
    resourceVersion,
    ...(remaining > 0
      ? {
          continue: Buffer.from(JSON.stringify({ resourceVersion, start: end })).toString('base64url'),
          remainingItemCount: remaining,
        }
      : {}),
  };
  const list = { apiVersion: routeApiVersion(ctx), kind: listKind, metadata, items };
  assertValidObject(list);
  return ok({ ...list, items: items.map(({ apiVersion: _v, kind: _k, ...rest }) => rest) });
};

/** `GET …/{resource}/{name}`. */
export const getObject: Handler = (ctx) => {
  const found = findNamed(ctx, ctx.route.kind);
  return isAnswer(found) ? found : ok(found);
};

/** A request the emulator understood but will not serve (watches): loud, so a test notices. */
export const watchNotServed: Handler = () =>
  statusFailure({
    code: 405,
    reason: 'MethodNotAllowed',
    message: 'the Kubernetes emulator does not serve watch',
  });
