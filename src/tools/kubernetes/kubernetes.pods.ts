import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { formatAge, imagesOf, isoTime, secondsSince } from './kubernetes.format.ts';

/** A pod as the tools report it: no node, no IPs, just what says whether it is healthy and why not. */
export type PodView = {
  name: string;
  phase: string;
  /** What `kubectl get pods` shows as STATUS: CrashLoopBackOff, ImagePullBackOff, Terminating, Running… */
  status: string;
  ready: boolean;
  readyContainers: string;
  restarts: number;
  lastTermination: {
    container: string;
    reason: string | null;
    exitCode: number;
    finishedAt: string | null;
  } | null;
  images: string[];
  ageSeconds: number | null;
  age: string;
};

/** The STATUS column of `kubectl get pods`, simplified: a container's waiting or terminated reason wins. */
function podStatus(pod: V1Pod, statuses: V1ContainerStatus[]): string {
  if (pod.metadata?.deletionTimestamp) return 'Terminating';
  for (const s of statuses) {
    const reason = s.state?.waiting?.reason ?? s.state?.terminated?.reason;
    if (reason) return reason;
  }
  return pod.status?.reason ?? pod.status?.phase ?? 'Unknown';
}

/** Describes a pod; `now` comes from the tool's clock. */
export function podView(pod: V1Pod, now: Date): PodView {
  const statuses = pod.status?.containerStatuses ?? [];
  const total = pod.spec?.containers.length ?? statuses.length;
  const ready = statuses.filter((s) => s.ready).length;
  // The most restarted container's last termination is the one that explains a crash loop.
  const restarted = [...statuses]
    .filter((s) => s.lastState?.terminated)
    .sort((a, b) => b.restartCount - a.restartCount)[0];
  const last = restarted?.lastState?.terminated;
  const ageSeconds = secondsSince(pod.metadata?.creationTimestamp, now);
  return {
    name: pod.metadata?.name ?? '',
    phase: pod.status?.phase ?? 'Unknown',
    status: podStatus(pod, statuses),
    ready: total > 0 && ready === total,
    readyContainers: `${ready}/${total}`,
    restarts: statuses.reduce((sum, s) => sum + s.restartCount, 0),
    lastTermination:
      restarted && last
        ? {
            container: restarted.name,
            reason: last.reason ?? null,
            exitCode: last.exitCode,
            finishedAt: isoTime(last.finishedAt),
          }
        : null,
    images: imagesOf({ spec: pod.spec }),
    ageSeconds,
    age: formatAge(ageSeconds),
  };
}

/** `checkout-7d9f-x2k4 CrashLoopBackOff (7 restarts, last exit 1 Error)`. */
export function describePod(pod: PodView): string {
  const last = pod.lastTermination;
  const exit = last ? `, last exit ${last.exitCode}${last.reason ? ` ${last.reason}` : ''}` : '';
  return `${pod.name} ${pod.status} (${pod.restarts} restart${pod.restarts === 1 ? '' : 's'}${exit})`;
}
