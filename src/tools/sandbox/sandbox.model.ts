import { randomBytes } from 'node:crypto';
import { sha256Hex } from '../../shared/hash.ts';
import type { SandboxPod } from './sandbox.table.ts';

/** How the simulated services behave when tools act on them. Pure: no I/O, no clock. */

export type Health = 'healthy' | 'degraded' | 'down';
export type ServiceMetrics = { errorRate: number; latencyP99Ms: number };

/** What a service settles to once every pod runs a good version. */
export const HEALTHY_METRICS: ServiceMetrics = { errorRate: 0.002, latencyP99Ms: 240 };
/** What a faulty version produces when it is (re)started. */
export const FAULTY_METRICS: ServiceMetrics = { errorRate: 0.08, latencyP99Ms: 1_800 };
const DEGRADED_ERROR_RATE = 0.02;

/** Health from the pods and the error rate. */
export function computeHealth({
  pods,
  replicas,
  errorRate,
}: {
  pods: SandboxPod[];
  replicas: number;
  errorRate: number;
}): Health {
  const running = pods.filter((p) => p.status === 'Running').length;
  if (replicas === 0 || running === 0) return 'down';
  if (running < replicas || errorRate > DEGRADED_ERROR_RATE) return 'degraded';
  return 'healthy';
}

/** Metrics once all pods run a good version: never worse than before. */
export function healedMetrics(current: ServiceMetrics): ServiceMetrics {
  return {
    errorRate: Math.min(current.errorRate, HEALTHY_METRICS.errorRate),
    latencyP99Ms: Math.min(current.latencyP99Ms, HEALTHY_METRICS.latencyP99Ms),
  };
}

/**
 * A rolling restart. Counters reset; on a good version every pod comes back Running. On a faulty version
 * the pods that were crashing crash again, so the restart changes nothing that matters.
 */
export function restartPods({ pods, faulty }: { pods: SandboxPod[]; faulty: boolean }): SandboxPod[] {
  return pods.map((pod) =>
    faulty && pod.status !== 'Running'
      ? { name: pod.name, status: 'CrashLoopBackOff', restarts: 1 }
      : { name: pod.name, status: 'Running', restarts: 0 },
  );
}

/** Scales to `replicas`: new pods start Running; scaling down removes unhealthy pods first, then the newest. */
export function scalePods({
  service,
  version,
  pods,
  replicas,
}: {
  service: string;
  version: string;
  pods: SandboxPod[];
  replicas: number;
}): SandboxPod[] {
  if (replicas >= pods.length) {
    const added = Array.from({ length: replicas - pods.length }, () =>
      newPod({ service, version, status: 'Running' }),
    );
    return [...pods, ...added];
  }
  const keep = new Set(
    pods
      .map((pod, index) => ({ pod, index }))
      .sort((a, b) => rank(a.pod) - rank(b.pod) || a.index - b.index)
      .slice(0, replicas)
      .map((entry) => entry.index),
  );
  return pods.filter((_pod, index) => keep.has(index));
}

/** Pods for a fresh rollout of `version`: all Running, or a third crash-looping when the version is faulty. */
export function rolloutPods({
  service,
  version,
  replicas,
  faulty,
}: {
  service: string;
  version: string;
  replicas: number;
  faulty: boolean;
}): SandboxPod[] {
  const crashing = faulty ? Math.max(1, Math.floor(replicas / 3)) : 0;
  return Array.from({ length: replicas }, (_v, i) =>
    newPod({ service, version, status: i < crashing ? 'CrashLoopBackOff' : 'Running' }),
  );
}

/** Counts for a one-line summary. */
export function podCounts(pods: SandboxPod[]): { running: number; crashLooping: number; total: number } {
  return {
    running: pods.filter((p) => p.status === 'Running').length,
    crashLooping: pods.filter((p) => p.status === 'CrashLoopBackOff').length,
    total: pods.length,
  };
}

function rank(pod: SandboxPod): number {
  return pod.status === 'Running' ? 0 : 1;
}

function newPod({
  service,
  version,
  status,
}: {
  service: string;
  version: string;
  status: string;
}): SandboxPod {
  // Kubernetes-like names: the service, a hash of the version (the ReplicaSet), a random suffix.
  const suffix = randomBytes(4).toString('hex').slice(0, 5);
  return { name: `${service}-${sha256Hex(version).slice(0, 9)}-${suffix}`, status, restarts: 0 };
}
