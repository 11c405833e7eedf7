import type { Charter } from '../policy/charter.schemas.ts';
import { type Evidence, type IncidentFacts, readEvidence } from './offline-evidence.ts';
import {
  evidenceLines,
  type Finding,
  findRemediation,
  proposalsFor,
  remediationTools,
} from './offline-rules.ts';
import type { Planner, PlannerInput, PlannerStep } from './planner.types.ts';

const EVIDENCE_TOOLS = [
  'get_service_health',
  'get_recent_deploys',
  'search_logs',
  'list_pods',
  'get_rollout_history',
] as const;
/** Log searches the offline planner runs: exceptions, and failures (crash loops, failed probes, failed calls). */
export const OFFLINE_LOG_QUERIES = ['exception', 'fail'] as const;

/**
 * The offline planner: fixed rules, no model, deterministic. Step 1 reads the incident (in its own
 * environment when the run knows it); step 2 reads the service's health, recent deploys and logs in the
 * incident's environment; then it proposes a ticket and,
 * when the evidence is clear, a rollback or a restart. It reads only structured fields, so instructions
 * hidden in incident text or log lines cannot change what it does.
 */
/** The offline rules' version: raise it with any change to what they read or propose. */
export const OFFLINE_RULES_VERSION = 1;

export function createOfflinePlanner(): Planner {
  return {
    name: 'offline',
    next: async (input) => nextStep(input),
    version: () => ({ model: null, prompt: `offline rules v${OFFLINE_RULES_VERSION}` }),
  };
}

function nextStep(input: PlannerInput): PlannerStep {
  // The tools the charter names that this deployment has: calling any other would only be denied.
  const named = new Set(input.tools.map((t) => t.name));
  const evidence = readEvidence({ observations: input.observations });
  const triedIncident = input.observations.some((o) => o.tool === 'get_incident');

  if (!triedIncident) {
    const environment = incidentReadEnvironment({ charter: input.charter, known: input.environment });
    if (!environment) {
      const where = input.environment ? ` in ${input.environment}, where ${input.incidentId} is` : '';
      return finalStep(
        `The ${input.charter.agent} charter does not let me read incidents${where} (get_incident), so I checked nothing and propose nothing.`,
      );
    }
    return {
      kind: 'gather',
      calls: [{ tool: 'get_incident', args: { incident_id: input.incidentId }, environment }],
      tokens: 0,
    };
  }
  const incident = evidence.incident;
  if (!incident) {
    return finalStep(
      `I could not read ${input.incidentId} (${evidence.incidentError ?? 'no incident data'}), so I propose nothing.`,
    );
  }
  const gathered = input.observations.some((o) => (EVIDENCE_TOOLS as readonly string[]).includes(o.tool));
  const calls = evidenceCalls({ incident, named });
  if (!gathered && calls.length > 0) return { kind: 'gather', calls, tokens: 0 };

  const finding = findRemediation({ incident, health: evidence.health, deploys: evidence.deploys });
  const proposals = proposalsFor({
    evidence,
    incident,
    finding,
    toolsInCharter: named,
    plannerLabel: `${input.charter.agent}, offline planner`,
    ticketNamesService: takesArgument(input.tools, 'create_ticket', 'service'),
  });
  return {
    kind: 'final',
    summary: explain({ incident, evidence, finding, proposals, named }),
    proposals,
    tokens: 0,
  };
}

function evidenceCalls({ incident, named }: { incident: IncidentFacts; named: ReadonlySet<string> }) {
  const { service, environment } = incident;
  const calls: { tool: string; args: Record<string, unknown>; environment: string }[] = [];
  if (named.has('get_service_health'))
    calls.push({ tool: 'get_service_health', args: { service }, environment });
  if (named.has('get_recent_deploys'))
    calls.push({ tool: 'get_recent_deploys', args: { service, limit: 5 }, environment });
  if (named.has('list_pods')) calls.push({ tool: 'list_pods', args: { service }, environment });
  if (named.has('get_rollout_history'))
    calls.push({ tool: 'get_rollout_history', args: { service, limit: 5 }, environment });
  if (named.has('search_logs')) {
    for (const query of OFFLINE_LOG_QUERIES)
      calls.push({ tool: 'search_logs', args: { service, query, limit: 20 }, environment });
  }
  return calls;
}

/**
 * Where to read the incident: in its own environment when the run knows it, and only if the charter allows
 * get_incident there outright (reading it under another environment's rule would sidestep the charter).
 * When the run does not know it (the directory has no such incident), the first environment where the
 * charter allows get_incident outright, preferring one that is not in shadow mode.
 */
function incidentReadEnvironment({
  charter,
  known,
}: {
  charter: Charter;
  known: string | null;
}): string | null {
  const rules = charter.tools.get_incident?.environments ?? {};
  const usable = Object.entries(rules).filter(
    ([env, rule]) => rule === 'allow' && Object.hasOwn(charter.environments, env),
  );
  if (known !== null) return usable.some(([env]) => env === known) ? known : null;
  const readable = usable.find(([env]) => charter.environments[env]?.mode !== 'shadow') ?? usable[0];
  return readable?.[0] ?? null;
}

/**
 * What the planner found and why it proposed what it did, from structured fields only. What was checked
 * and what the guard made of each proposal are in the run summary already, from the records.
 */
function explain({
  incident,
  evidence,
  finding,
  proposals,
  named,
}: {
  incident: IncidentFacts;
  evidence: Evidence;
  finding: Finding;
  proposals: readonly { tool: string }[];
  named: ReadonlySet<string>;
}): string {
  const lines = [
    `Incident: ${incident.id} (${incident.severity}), ${incident.service} in ${incident.environment}, opened ${incident.openedAt.toISOString()}.`,
    ...evidenceLines({ evidence, incident }),
  ];
  const tools = remediationTools({ evidence, finding });
  const wanted =
    finding.kind === 'rollback' ? tools.rollback : finding.kind === 'restart' ? tools.restart : null;
  if (finding.kind === 'none') lines.push(`No remediation proposed: ${finding.why}.`);
  else if (wanted && !named.has(wanted))
    lines.push(`The evidence points to ${wanted}, but the charter does not name it.`);
  if (proposals.length === 0)
    lines.push('Proposed nothing: the charter names none of the tools I would use.');
  return lines.join('\n');
}

function finalStep(summary: string): PlannerStep {
  return { kind: 'final', summary, proposals: [], tokens: 0 };
}

/** True when the deployment's tool of this name has this argument (the catalog's create_ticket: service). */
function takesArgument(tools: PlannerInput['tools'], tool: string, argument: string): boolean {
  const input = tools.find((t) => t.name === tool)?.input as { shape?: Record<string, unknown> } | undefined;
  return input?.shape?.[argument] !== undefined;
}
