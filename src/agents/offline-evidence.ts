import { z } from 'zod';
import { isClusterHealth, readClusterFacts } from './offline-cluster-evidence.ts';
import type { Observation } from './planner.types.ts';

/** The catalog world's evidence tools (their facts are read by `offline-cluster-evidence.ts`). */
const CLUSTER_TOOLS = new Set(['get_service_health', 'list_pods', 'get_rollout_history']);

/**
 * The structured facts the offline planner reads from observations. Only typed fields are read (ids,
 * numbers, versions, times, statuses); free text such as titles, descriptions and log messages is never
 * parsed, so nothing written in the data can steer the planner.
 */

const SERVICE = /^[a-z][a-z0-9-]{0,62}$/;
const ENVIRONMENT = /^[a-z][a-z0-9_-]{0,62}$/;
const VERSION = /^v\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$/;

const incidentSchema = z.object({
  incident: z.object({
    id: z.string().regex(/^[A-Z][A-Z0-9]{0,15}-\d{1,9}$/),
    severity: z.enum(['sev1', 'sev2', 'sev3', 'sev4']).catch('sev3'),
    service: z.string().regex(SERVICE),
    environment: z.string().regex(ENVIRONMENT),
    openedAt: z.iso.datetime({ offset: true }),
  }),
});
export type IncidentFacts = {
  id: string;
  severity: 'sev1' | 'sev2' | 'sev3' | 'sev4';
  service: string;
  environment: string;
  openedAt: Date;
};

const healthSchema = z.object({
  service: z.object({
    name: z.string().regex(SERVICE),
    version: z.string().regex(VERSION),
    replicas: z.number().int().min(0),
    runningPods: z.number().int().min(0),
    crashLoopingPods: z.number().int().min(0),
    errorRate: z.number().min(0).max(1),
    latencyP99Ms: z.number().min(0),
    health: z.enum(['healthy', 'degraded', 'down']).catch('degraded'),
  }),
});
export type HealthFacts = z.infer<typeof healthSchema>['service'] & {
  /** Where the facts come from, which decides the remediation tool (sandbox when absent). */
  source?: 'sandbox' | 'kubernetes';
};

const deploysSchema = z.object({
  deploys: z.array(
    z.object({
      id: z.string().regex(/^[a-z]+[-_][0-9a-z]+$/),
      version: z.string().regex(VERSION),
      previousVersion: z.string().regex(VERSION).nullable(),
      deployedAt: z.iso.datetime({ offset: true }),
      status: z.enum(['deployed', 'rolled_back']),
    }),
  ),
});
export type DeployFacts = {
  id: string;
  version: string;
  previousVersion: string | null;
  deployedAt: Date;
  /** `superseded`: an older Kubernetes revision (a newer one replaced it). */
  status: 'deployed' | 'rolled_back' | 'superseded';
  /** Kubernetes only: the Deployment revision, and the one it replaced (what `rollout_undo` goes back to). */
  revision?: number;
  previousRevision?: number;
};

const logsSchema = z.object({ lines: z.array(z.unknown()) });

/** Everything the offline planner knows after gathering. `null` means it could not be established. */
export type Evidence = {
  incident: IncidentFacts | null;
  /** get_incident was tried and did not give a readable incident. */
  incidentError: string | null;
  health: HealthFacts | null;
  deploys: DeployFacts[] | null;
  /** Matching log lines per query (counts only: log text is never read). */
  logMatches: { query: string; count: number }[];
  /** Evidence calls that did not run, by tool: the guard's reason code. */
  notRun: { tool: string; reasonCode: string }[];
};

/** Reads the structured facts out of a run's observations. Pure. */
export function readEvidence({ observations }: { observations: readonly Observation[] }): Evidence {
  const evidence: Evidence = {
    incident: null,
    incidentError: null,
    health: null,
    deploys: null,
    logMatches: [],
    notRun: [],
  };
  const cluster: Observation[] = [];
  for (const o of observations) {
    if (!o.output) {
      evidence.notRun.push({ tool: o.tool, reasonCode: o.reasonCode });
      if (o.tool === 'get_incident' && !evidence.incident) evidence.incidentError = o.error ?? o.reasonCode;
      continue;
    }
    if (o.tool === 'get_incident' && !evidence.incident) {
      const parsed = incidentSchema.safeParse(o.output.data);
      if (parsed.success) {
        evidence.incident = { ...parsed.data.incident, openedAt: new Date(parsed.data.incident.openedAt) };
        evidence.incidentError = null;
      } else evidence.incidentError = 'the incident record could not be read';
      continue;
    }
    const incident = evidence.incident;
    const aboutIncident =
      incident !== null && o.environment === incident.environment && o.args.service === incident.service;
    if (!aboutIncident) continue;
    if (CLUSTER_TOOLS.has(o.tool) && (o.tool !== 'get_service_health' || isClusterHealth(o.output.data))) {
      cluster.push(o);
    } else if (o.tool === 'get_service_health') {
      const parsed = healthSchema.safeParse(o.output.data);
      if (parsed.success) evidence.health = parsed.data.service;
    } else if (o.tool === 'get_recent_deploys') {
      const parsed = deploysSchema.safeParse(o.output.data);
      if (parsed.success) {
        evidence.deploys = parsed.data.deploys.map((d) => ({ ...d, deployedAt: new Date(d.deployedAt) }));
      }
    } else if (o.tool === 'search_logs') {
      const parsed = logsSchema.safeParse(o.output.data);
      const query = typeof o.args.query === 'string' ? o.args.query : '';
      if (parsed.success) evidence.logMatches.push({ query, count: parsed.data.lines.length });
    }
  }
  if (cluster.length > 0) {
    const facts = readClusterFacts({ observations: cluster });
    evidence.health ??= facts.health;
    evidence.deploys ??= facts.deploys;
  }
  return evidence;
}
