import { ALERTMANAGER_TOOLS } from './alertmanager/alertmanager.tools.ts';
import type { ToolDefinition, ToolInfo } from './define.ts';
import { GITHUB_TOOLS } from './github/github.tools.ts';
import { INCIDENT_TOOLS } from './incidents/incidents.tools.ts';
import { JIRA_TOOLS } from './jira/jira.tools.ts';
import { KUBERNETES_TOOLS } from './kubernetes/kubernetes.tools.ts';
import { PAGERDUTY_TOOLS } from './pagerduty/pagerduty.tools.ts';
import { PROMETHEUS_TOOLS } from './prometheus/prometheus.tools.ts';
import type { ToolCatalogEntry } from './registry.ts';
import { RUNBOOK_TOOLS } from './runbooks/runbooks.tools.ts';
import { SANDBOX_TOOLS } from './sandbox/sandbox.tools.ts';
import { createTicketTool } from './tickets/create-ticket.tool.ts';
import type { ToolDeps, ToolSpec, ToolSystem, ToolWorld } from './tool-spec.ts';

/**
 * Every tool Warden has, in one list that the app and the CLI both read. A tool is one `*.tool.ts` file
 * exporting a `toolSpec`, plus one line in its system's list (`sandbox.tools.ts`, `kubernetes.tools.ts`,
 * `prometheus.tools.ts`, `alertmanager.tools.ts`). A name may appear once per world: the sandbox's
 * `get_service_health` and the Prometheus one share a name and a meaning, never a world.
 */
export const TOOL_SPECS: readonly ToolSpec[] = [
  ...SANDBOX_TOOLS,
  ...INCIDENT_TOOLS,
  ...KUBERNETES_TOOLS,
  ...PROMETHEUS_TOOLS,
  ...ALERTMANAGER_TOOLS,
  ...PAGERDUTY_TOOLS,
  ...JIRA_TOOLS,
  ...GITHUB_TOOLS,
  createTicketTool,
  ...RUNBOOK_TOOLS,
];

/** The tools of one world. */
export function toolSpecsFor({ world }: { world: ToolWorld }): ToolSpec[] {
  return TOOL_SPECS.filter((spec) => spec.worlds.includes(world));
}

/** The systems that mint a credential of their own for each call (a lease Secret's token, an installation token). */
const MINTING_SYSTEMS: ReadonlySet<ToolSystem> = new Set(['kubernetes', 'github']);

/** Builds the tools of one world over the app's dependencies. */
export function buildTools({ world, deps }: { world: ToolWorld; deps: ToolDeps }): ToolDefinition[] {
  return toolSpecsFor({ world }).map((spec) => ({
    ...spec.build(deps),
    mintsCredential: MINTING_SYSTEMS.has(spec.system),
  }));
}

/**
 * Every tool name with its metadata, across worlds (for the CLI and charter tests, which judge charters
 * for any deployment). Where both worlds have a tool of one name, the catalog world's description wins;
 * a test checks that both agree on kind, risk and reversibility.
 */
export function allToolInfos(): ToolInfo[] {
  const byName = new Map<string, ToolInfo>();
  for (const spec of TOOL_SPECS) {
    if (!byName.has(spec.info.name) || spec.worlds.includes('catalog')) byName.set(spec.info.name, spec.info);
  }
  return [...byName.values()];
}

/** Kind, risk and reversibility of every tool, by name (for `warden charter test`). */
export function toolCatalogEntries(): Record<string, ToolCatalogEntry> {
  return Object.fromEntries(
    allToolInfos().map((t) => [t.name, { kind: t.kind, risk: t.risk, reversible: t.reversible }]),
  );
}

/** The system each tool of a world acts on, by name: which connection kind a charter's tool needs. */
export function toolSystems({ world }: { world: ToolWorld }): Record<string, ToolSystem> {
  return Object.fromEntries(toolSpecsFor({ world }).map((s) => [s.info.name, s.system]));
}
