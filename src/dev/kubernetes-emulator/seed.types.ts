import type { IDeploymentStrategy } from 'kubernetes-models/apps/v1/DeploymentStrategy';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { PodHealth } from './pod-factory.ts';

/** A log line: text written some seconds ago, or plain text (lines then count as 1 s apart, ending now). */
export type SeedLogLine = string | { text: string; secondsAgo: number };

/** An event about a seeded object; `message` may be built from the object's final name. */
export type SeedEvent = {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string | ((names: { name: string; namespace: string; uid: string }) => string);
  count?: number;
  /** When it was first and last seen (default: 10 minutes ago and now). */
  firstSecondsAgo?: number;
  lastSecondsAgo?: number;
  /** Who reported it (default: kubelet for pods, deployment-controller otherwise). */
  component?: string;
  /** `spec.containers{checkout}` for an event about one container. */
  fieldPath?: string;
};

/** A pod of a Deployment's current revision. */
export type SeedPod = {
  /** Default `{ state: 'running' }` (ready). */
  health?: PodHealth;
  /** Current-run log lines per container name. */
  logs?: Record<string, SeedLogLine[]>;
  /** The previous run's lines per container (served with `previous=true` once the pod has restarted: a crashloop health). */
  previousLogs?: Record<string, SeedLogLine[]>;
  events?: SeedEvent[];
};

/** One revision's pod template: an image (one container named after the Deployment) or containers. */
export type SeedRevision = string | { containers: IContainer[]; annotations?: Record<string, string> };

/** A Deployment with its history: one ReplicaSet per revision (oldest first), pods for the last. */
export type SeedDeployment = {
  name: string;
  /** Default 1. */
  replicas?: number;
  /** Selector and template labels; default `{ app: name }`. */
  labels?: Record<string, string>;
  revisions: SeedRevision[];
  /** The current revision's pods, in order; default `replicas` ready pods. */
  pods?: SeedPod[];
  strategy?: IDeploymentStrategy;
  events?: SeedEvent[];
};

/** An autoscaling/v2 HPA on a Deployment's CPU utilisation. */
export type SeedHpa = {
  name: string;
  /** The Deployment it scales. */
  target: string;
  minReplicas: number;
  maxReplicas: number;
  cpu: { targetUtilization: number; currentUtilization?: number };
  currentReplicas?: number;
  desiredReplicas?: number;
};

/** Everything `seed()` can put in one namespace. */
export type SeedSpec = {
  namespace: string;
  deployments?: SeedDeployment[];
  hpas?: SeedHpa[];
  serviceAccounts?: string[];
  secrets?: { name: string; type?: string; stringData?: Record<string, string> }[];
};

/** The names and uids `seed()` created, to find them again (pod names carry random suffixes). */
export type SeedResult = {
  namespace: string;
  deployments: Record<
    string,
    {
      uid: string;
      /** ReplicaSet names, oldest revision first. */
      replicaSets: string[];
      /** The current revision's pods, in the order given. */
      pods: string[];
    }
  >;
};
