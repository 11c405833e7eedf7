import { plural } from '../shared/plural.ts';
import type { DeployFacts, Evidence, HealthFacts, IncidentFacts } from './offline-evidence.ts';
import type { PlannedProposal } from './planner.types.ts';

/** An error rate at or above this counts as "up". */
export const ERROR_RATE_THRESHOLD = 0.02;
/** A deploy this long before the incident opened (or later) counts as recent. */
export const RECENT_DEPLOY_MS = 2 * 60 * 60 * 1000;

export type Finding =
  | { kind: 'rollback'; deploy: DeployFacts & { previousVersion: string } }
  | { kind: 'restart'; crashLooping: number }
  | { kind: 'none'; why: string };

/**
 * The remediation rule, pure: a deploy within 2 h before the incident opened, still live, with the error
 * rate at 2 % or more → roll back to the version it replaced. Pods in CrashLoopBackOff with no recent deploy
 * → restart. Anything less certain → no remediation (a ticket still records the evidence).
 */
export function findRemediation({
  incident,
  health,
  deploys,
}: {
  incident: IncidentFacts;
  health: HealthFacts | null;
  deploys: DeployFacts[] | null;
}): Finding {
  if (!health) return { kind: 'none', why: 'the service health could not be read' };
  if (!deploys) return { kind: 'none', why: 'the recent deploys could not be read' };
  const opened = incident.openedAt.getTime();
  const recent = deploys.filter((d) => d.deployedAt.getTime() >= opened - RECENT_DEPLOY_MS);
  const suspect = recent.find(
    (d) =>
      d.status === 'deployed' &&
      d.deployedAt.getTime() <= opened &&
      d.version === health.version &&
      d.previousVersion !== null &&
      d.previousVersion !== d.version,
  );
  if (health.errorRate >= ERROR_RATE_THRESHOLD && suspect?.previousVersion) {
    return { kind: 'rollback', deploy: { ...suspect, previousVersion: suspect.previousVersion } };
  }
  if (health.crashLoopingPods > 0 && recent.length === 0) {
    return { kind: 'restart', crashLooping: health.crashLoopingPods };
  }
  if (health.crashLoopingPods > 0) {
    return {
      kind: 'none',
      why: 'pods crash-loop but a recent deploy may be the cause, and the error rate is below 2 %',
    };
  }
  if (health.errorRate >= ERROR_RATE_THRESHOLD) {
    return {
      kind: 'none',
      why: 'the error rate is up but no deploy in the 2 h before the incident explains it',
    };
  }
  return { kind: 'none', why: 'the service looks healthy' };
}

/** The proposals for a finding, plus a ticket with the evidence, limited to tools the charter names. */
export function proposalsFor({
  evidence,
  incident,
  finding,
  toolsInCharter,
  plannerLabel,
  ticketNamesService = false,
}: {
  evidence: Evidence;
  incident: IncidentFacts;
  finding: Finding;
  toolsInCharter: ReadonlySet<string>;
  plannerLabel: string;
  /** The deployment's create_ticket takes the service (the catalog's, which files per service). */
  ticketNamesService?: boolean;
}): PlannedProposal[] {
  const { service, environment } = incident;
  const remediation: PlannedProposal[] = [];
  const tools = remediationTools({ evidence, finding });
  if (finding.kind === 'rollback' && tools.rollback && toolsInCharter.has(tools.rollback)) {
    const { deploy } = finding;
    const minutes = Math.round((incident.openedAt.getTime() - deploy.deployedAt.getTime()) / 60_000);
    remediation.push({
      tool: tools.rollback,
      args:
        tools.rollback === 'rollout_undo'
          ? { service, to_revision: deploy.previousRevision }
          : { service, to_version: deploy.previousVersion },
      environment,
      rationale: `The error rate is ${percent(evidence.health?.errorRate ?? 0)} (threshold ${percent(ERROR_RATE_THRESHOLD)}) and deploy ${deploy.id} put ${deploy.version} live ${minutes} min before ${incident.id} opened; ${deploy.previousVersion} ran before it.`,
      expectedEffect: `${service} in ${environment} runs ${deploy.previousVersion} on every pod and the error rate falls back under ${percent(ERROR_RATE_THRESHOLD)}.`,
      rollback: `Deploy ${deploy.version} again once its fault is fixed.`,
    });
  }
  if (finding.kind === 'restart' && toolsInCharter.has(tools.restart)) {
    remediation.push({
      tool: tools.restart,
      args: { service },
      environment,
      rationale: `${plural(finding.crashLooping, 'pod')} of ${service} ${finding.crashLooping === 1 ? 'is' : 'are'} in CrashLoopBackOff and nothing was deployed to it in the 2 h before ${incident.id} opened, so the version is not the suspect; a restart clears a transient fault.`,
      expectedEffect: `Every pod of ${service} in ${environment} restarts and returns to Running.`,
      rollback:
        'A restart changes no version or configuration, so there is nothing to undo; if pods crash again, look for the cause.',
    });
  }
  const proposals: PlannedProposal[] = [];
  if (toolsInCharter.has('create_ticket')) {
    proposals.push({
      tool: 'create_ticket',
      args: {
        ...(ticketNamesService ? { service } : {}),
        title: `${incident.id}: ${service} ${evidence.health?.health ?? 'impaired'} in ${environment}`,
        body: ticketBody({ evidence, incident, finding, remediation, plannerLabel }),
        severity: incident.severity,
      },
      environment,
      rationale: `Record the evidence for ${incident.id} and the proposed next step where the team tracks work.`,
      expectedEffect: `A ${incident.severity} ticket linked to ${incident.id} in ${environment}.`,
      rollback: 'Close the ticket.',
    });
  }
  return [...proposals, ...remediation];
}

/**
 * Which tools carry out a finding: on a Kubernetes cluster `rollout_undo` to the revision before and
 * `rollout_restart`; in the sandbox `rollback_deploy` to the version before and `restart_service`.
 */
export function remediationTools({ evidence, finding }: { evidence: Evidence; finding: Finding }): {
  rollback: 'rollout_undo' | 'rollback_deploy' | null;
  restart: 'rollout_restart' | 'restart_service';
} {
  const onCluster = evidence.health?.source === 'kubernetes';
  const rollback =
    finding.kind !== 'rollback'
      ? null
      : finding.deploy.previousRevision !== undefined
        ? 'rollout_undo'
        : 'rollback_deploy';
  return { rollback, restart: onCluster ? 'rollout_restart' : 'restart_service' };
}

/** The evidence, in lines built from structured fields only. */
export function evidenceLines({
  evidence,
  incident,
}: {
  evidence: Evidence;
  incident: IncidentFacts;
}): string[] {
  const lines: string[] = [];
  const h = evidence.health;
  if (h) {
    const crashing = h.crashLoopingPods > 0 ? `, ${h.crashLoopingPods} in CrashLoopBackOff` : '';
    lines.push(
      `Health: ${h.name} is ${h.health} on ${h.version}, ${h.runningPods}/${h.replicas} pods running${crashing}, error rate ${percent(h.errorRate)}, p99 ${h.latencyP99Ms} ms.`,
    );
  }
  if (evidence.deploys) {
    const since = incident.openedAt.getTime() - RECENT_DEPLOY_MS;
    const recent = evidence.deploys.filter((d) => d.deployedAt.getTime() >= since);
    lines.push(
      recent.length === 0
        ? `Deploys: none of ${incident.service} in the 2 h before ${incident.id} opened.`
        : `Deploys: ${recent.map((d) => `${d.id} ${d.previousVersion ?? '?'} → ${d.version} at ${d.deployedAt.toISOString()} (${d.status})`).join('; ')}.`,
    );
  }
  if (evidence.logMatches.length > 0) {
    lines.push(
      `Logs: ${evidence.logMatches.map((m) => `${plural(m.count, 'line')} matching "${m.query}"`).join(', ')}.`,
    );
  }
  for (const missing of evidence.notRun)
    lines.push(`Not checked: ${missing.tool} did not run (${missing.reasonCode}).`);
  return lines;
}

function ticketBody({
  evidence,
  incident,
  finding,
  remediation,
  plannerLabel,
}: {
  evidence: Evidence;
  incident: IncidentFacts;
  finding: Finding;
  remediation: PlannedProposal[];
  plannerLabel: string;
}): string {
  const next =
    remediation.length > 0
      ? remediation.map(
          (p) => `- ${p.tool} ${Object.values(p.args).join(' ')} in ${p.environment}: ${p.rationale}`,
        )
      : [
          `- No automatic remediation proposed: ${finding.kind === 'none' ? finding.why : 'the charter does not allow it'}.`,
        ];
  return [
    `${incident.id} (${incident.severity}) — ${incident.service} in ${incident.environment}, opened ${incident.openedAt.toISOString()}.`,
    '',
    `Evidence gathered by Warden (${plannerLabel}):`,
    ...evidenceLines({ evidence, incident }).map((l) => `- ${l}`),
    '',
    'Proposed next steps:',
    ...next,
  ].join('\n');
}

/** `8.4%` */
export function percent(rate: number): string {
  return `${(rate * 100).toFixed(1).replace(/\.0$/, '')}%`;
}
