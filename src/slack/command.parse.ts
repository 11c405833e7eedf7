import { closestName } from '../shared/did-you-mean.ts';
import { AGENT_COMMANDS, type AgentCommandName } from './blocks/info.blocks.ts';

/**
 * A parsed `/agent` command, or why it could not be parsed: `problem` is a sentence for the person (what
 * they typed is quoted, never trusted), `command` the command they meant, whose usage the answer shows.
 */
export type AgentCommand =
  | { kind: 'triage'; incidentId: string; agent: string }
  | { kind: 'kill'; agent?: string; reason?: string }
  | { kind: 'resume'; agent?: string }
  | { kind: 'reset'; agent: string; breaker?: string }
  | { kind: 'status' }
  | { kind: 'audit'; subject: string }
  | { kind: 'why'; proposalId: string }
  | { kind: 'keep'; proposalId: string }
  | { kind: 'charter'; agent?: string }
  | { kind: 'report'; agent?: string }
  | { kind: 'help' }
  | { kind: 'invalid'; problem: string; command?: AgentCommandName };

const INCIDENT_ID = /^[A-Z][A-Z0-9]*-\d{1,8}$/;
const PROPOSAL_ID = /^prp_[0-9a-z]{6,32}$/;
const AUDIT_SUBJECT = /^(run_[0-9a-z]{6,32}|[A-Z][A-Z0-9]*-\d{1,8})$/;
const AGENT_NAME = /^[a-z][a-z0-9_-]{0,62}$/;
const BREAKER_NAME = /^[a-z][a-z0-9_-]{0,62}$/;
const MAX_REASON = 500;

/**
 * Parses the text after `/agent`. `agents` are the loaded charters' names: `kill looping` only names an
 * agent when one is called that; otherwise the words are the reason.
 */
export function parseAgentCommand({
  text,
  agents,
}: {
  text: string;
  agents: readonly string[];
}): AgentCommand {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const [verb, ...rest] = words;
  const isAgent = (w: string | undefined) => w !== undefined && AGENT_NAME.test(w) && agents.includes(w);
  const noSuchAgent = (typed: string) => {
    const near = closestName({ typed, known: agents });
    const quoted = `There is no agent called "${typed.slice(0, 40)}"`;
    return near ? `${quoted}. Did you mean "${near}"?` : `${quoted} (agents: ${agents.join(', ')}).`;
  };
  const optionalAgent = (): { agent?: string } | { problem: string } => {
    if (rest.length === 0) return {};
    if (rest.length === 1 && isAgent(rest[0])) return { agent: rest[0]! };
    return { problem: noSuchAgent(rest.join(' ')) };
  };
  switch (verb?.toLowerCase()) {
    case undefined:
    case 'help':
      return { kind: 'help' };
    case 'triage': {
      const [incident, agent, ...extra] = rest;
      const incidentId = incident?.toUpperCase();
      if (!incidentId || !INCIDENT_ID.test(incidentId) || extra.length > 0) {
        return invalid('triage', 'Triage needs one incident id, e.g. `/agent triage INC-123`.');
      }
      if (agent !== undefined && !isAgent(agent)) return invalid('triage', noSuchAgent(agent));
      return { kind: 'triage', incidentId, agent: agent ?? 'triage' };
    }
    case 'kill': {
      const agent = isAgent(rest[0]) ? rest[0] : undefined;
      const reason = (agent ? rest.slice(1) : rest).join(' ').slice(0, MAX_REASON);
      return { kind: 'kill', ...(agent ? { agent } : {}), ...(reason ? { reason } : {}) };
    }
    case 'resume':
    case 'charter':
    case 'report': {
      const kind = verb.toLowerCase() as 'resume' | 'charter' | 'report';
      const parsed = optionalAgent();
      if ('problem' in parsed) return invalid(kind, parsed.problem);
      return { kind, ...parsed };
    }
    case 'reset': {
      const [agent, breaker, ...extra] = rest;
      if (agent !== undefined && !isAgent(agent) && closestName({ typed: agent, known: agents }))
        return invalid('reset', noSuchAgent(agent));
      if (!isAgent(agent) || extra.length > 0 || (breaker !== undefined && !BREAKER_NAME.test(breaker))) {
        return invalid(
          'reset',
          `Reset needs an agent and optionally one of its breakers, e.g. \`/agent reset triage denials\` (agents: ${agents.join(', ')}).`,
        );
      }
      return { kind: 'reset', agent: agent!, ...(breaker ? { breaker } : {}) };
    }
    case 'status':
      return rest.length === 0 ? { kind: 'status' } : invalid('status', 'Status takes no arguments.');
    case 'audit': {
      const subject = rest[0];
      if (
        rest.length !== 1 ||
        !subject ||
        !AUDIT_SUBJECT.test(subject.startsWith('run_') ? subject : subject.toUpperCase())
      ) {
        return invalid('audit', 'Audit needs a run id or an incident id, e.g. `/agent audit INC-123`.');
      }
      return { kind: 'audit', subject: subject.startsWith('run_') ? subject : subject.toUpperCase() };
    }
    case 'why': {
      const id = rest[0];
      if (rest.length !== 1 || !id || !PROPOSAL_ID.test(id)) {
        return invalid('why', 'Why needs a proposal id, e.g. `/agent why prp_7f3k2m9q1x4z`.');
      }
      return { kind: 'why', proposalId: id };
    }
    case 'keep': {
      const id = rest[0];
      if (rest.length !== 1 || !id || !PROPOSAL_ID.test(id)) {
        return invalid('keep', 'Keep needs a proposal id, e.g. `/agent keep prp_7f3k2m9q1x4z`.');
      }
      return { kind: 'keep', proposalId: id };
    }
    default:
      return unknownCommand(verb ?? '');
  }
}

function invalid(command: AgentCommandName, problem: string): AgentCommand {
  return { kind: 'invalid', problem, command };
}

/** A verb that is no command: the command probably meant (`triag`, or an incident id without `triage`). */
function unknownCommand(verb: string): AgentCommand {
  const unknown = `Unknown command "${verb.slice(0, 30)}".`;
  if (INCIDENT_ID.test(verb.toUpperCase()))
    return invalid('triage', `${unknown} Did you mean \`/agent triage ${verb.toUpperCase()}\`?`);
  const near = closestName({ typed: verb, known: AGENT_COMMANDS.map((c) => c.name) });
  if (!near) return { kind: 'invalid', problem: unknown };
  return invalid(near, `${unknown} Did you mean \`/agent ${near}\`?`);
}
