import type { HttpAnswer } from '../emulator.types.ts';
import type { FieldCause } from '../status.ts';
import { badRequest, invalid, notServed } from '../status.ts';
import { boolParam, findNamed, type Handler, intParam, isAnswer } from './context.ts';

type LogNumbers = { tailLines?: number; sinceSeconds?: number; limitBytes?: number };

/** `PodLogOptions` validation: the 422 the server gives for negative or zero limits. */
function checkOptions(
  name: string,
  options: LogNumbers & { sinceTime: string | null },
): HttpAnswer | undefined {
  const causes: FieldCause[] = [];
  const bad = (field: string, value: number, message: string) =>
    causes.push({ field, reason: 'FieldValueInvalid', message: `Invalid value: ${value}: ${message}` });
  if (options.tailLines !== undefined && options.tailLines < 0)
    bad('tailLines', options.tailLines, 'must be greater than or equal to 0');
  if (options.limitBytes !== undefined && options.limitBytes < 1)
    bad('limitBytes', options.limitBytes, 'must be greater than 0');
  if (options.sinceSeconds !== undefined && options.sinceSeconds < 1)
    bad('sinceSeconds', options.sinceSeconds, 'must be greater than 0');
  if (options.sinceSeconds !== undefined && options.sinceTime !== null)
    causes.push({
      field: '',
      reason: 'FieldValueForbidden',
      message: 'Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified',
    });
  return causes.length > 0 ? invalid({ kind: 'PodLogOptions', group: '', name, causes }) : undefined;
}

/**
 * `GET …/pods/{name}/log` as text/plain: `container` (required when the pod has several), `previous`,
 * `tailLines`, `sinceSeconds`/`sinceTime`, `limitBytes`, `timestamps`, with the server's 400s for a
 * missing or unknown container, a container not started yet, or no previous run. `follow` is refused.
 */
export const readPodLog: Handler = (ctx) => {
  const pod = findNamed(ctx, 'Pod');
  if (isAnswer(pod)) return pod;
  const name = ctx.route.name;
  const numbers: LogNumbers = {};
  for (const key of ['tailLines', 'sinceSeconds', 'limitBytes'] as const) {
    const value = intParam(ctx.query, key);
    if (isAnswer(value)) return value;
    if (value !== undefined) numbers[key] = value;
  }
  const sinceTime = ctx.query.get('sinceTime');
  const problem = checkOptions(name, { ...numbers, sinceTime });
  if (problem) return problem;
  if (boolParam(ctx.query, 'follow')) return notServed('follow=true on pod logs (a stream)');

  const containers = (pod.spec?.containers ?? []).map((c) => c.name);
  const initContainers = (pod.spec?.initContainers ?? []).map((c) => c.name);
  let container = ctx.query.get('container') ?? '';
  if (container === '') {
    if (containers.length !== 1) {
      const init =
        initContainers.length > 0 ? ` or one of the init containers: [${initContainers.join(' ')}]` : '';
      return badRequest(
        `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]${init}`,
      );
    }
    container = containers[0] ?? '';
  } else if (!containers.includes(container) && !initContainers.includes(container))
    return badRequest(`container ${container} is not valid for pod ${name}`);

  const status = [
    ...(pod.status?.containerStatuses ?? []),
    ...(pod.status?.initContainerStatuses ?? []),
  ].find((s) => s.name === container);
  const previous = boolParam(ctx.query, 'previous');
  if (previous && !status?.lastState?.terminated)
    return badRequest(`previous terminated container "${container}" in pod "${name}" not found`);
  if (
    !previous &&
    (!status || (status.state?.waiting && status.restartCount === 0 && !status.lastState?.terminated))
  )
    return badRequest(
      `container "${container}" in pod "${name}" is waiting to start: ${status?.state?.waiting?.reason ?? 'ContainerCreating'}`,
    );

  const now = ctx.cluster.store.clock();
  const sinceSeconds =
    numbers.sinceSeconds ??
    (sinceTime ? Math.max(0, Math.ceil((now - Date.parse(sinceTime)) / 1000)) : undefined);
  const text = ctx.cluster.logs.read({
    namespace: ctx.route.namespace,
    pod: name,
    container,
    previous,
    now,
    query: {
      ...numbers,
      ...(sinceSeconds === undefined ? {} : { sinceSeconds }),
      timestamps: boolParam(ctx.query, 'timestamps'),
    },
  });
  return { status: 200, body: text };
};
