import { describe, expect, it } from 'vitest';
import { type AgentCommand, parseAgentCommand } from '../../../src/slack/command.parse.ts';

const agents = ['evidence', 'triage'];
const parse = (text: string): AgentCommand => parseAgentCommand({ text, agents });

describe('parseAgentCommand', () => {
  it('parses each command', () => {
    expect(parse('triage inc-123')).toEqual({ kind: 'triage', incidentId: 'INC-123', agent: 'triage' });
    expect(parse('triage INC-1 evidence')).toEqual({
      kind: 'triage',
      incidentId: 'INC-1',
      agent: 'evidence',
    });
    expect(parse('kill triage looping again')).toEqual({
      kind: 'kill',
      agent: 'triage',
      reason: 'looping again',
    });
    expect(parse('reset triage denials')).toEqual({ kind: 'reset', agent: 'triage', breaker: 'denials' });
    expect(parse('charter evidence')).toEqual({ kind: 'charter', agent: 'evidence' });
    expect(parse('STATUS')).toEqual({ kind: 'status' });
    expect(parse('')).toEqual({ kind: 'help' });
  });

  it('suggests the command meant for a slip of the keyboard', () => {
    expect(parse('triag INC-123')).toEqual({
      kind: 'invalid',
      problem: 'Unknown command "triag". Did you mean `/agent triage`?',
      command: 'triage',
    });
    expect(parse('stauts')).toMatchObject({
      problem: expect.stringContaining('`/agent status`'),
      command: 'status',
    });
    expect(parse('INC-123')).toMatchObject({
      problem: 'Unknown command "INC-123". Did you mean `/agent triage INC-123`?',
      command: 'triage',
    });
    expect(parse('frobnicate')).toEqual({ kind: 'invalid', problem: 'Unknown command "frobnicate".' });
  });

  it('suggests the agent meant, and otherwise lists the agents', () => {
    expect(parse('charter tirage')).toEqual({
      kind: 'invalid',
      problem: 'There is no agent called "tirage". Did you mean "triage"?',
      command: 'charter',
    });
    expect(parse('reset triag')).toMatchObject({
      problem: expect.stringContaining('Did you mean "triage"?'),
    });
    expect(parse('report nobody')).toMatchObject({
      problem: 'There is no agent called "nobody" (agents: evidence, triage).',
      command: 'report',
    });
  });

  it('says each usage error as a sentence with a capital, naming the command it is about', () => {
    const cases: [string, string][] = [
      ['triage', 'triage'],
      ['triage not-an-incident', 'triage'],
      ['triage INC-1 nobody', 'triage'],
      ['resume nobody', 'resume'],
      ['charter nobody', 'charter'],
      ['report nobody', 'report'],
      ['reset', 'reset'],
      ['reset nobody', 'reset'],
      ['status now', 'status'],
      ['audit', 'audit'],
      ['why 42', 'why'],
    ];
    for (const [text, command] of cases) {
      const parsed = parse(text);
      if (parsed.kind !== 'invalid') throw new Error(`${text} parsed as ${parsed.kind}`);
      expect(parsed.command, text).toBe(command);
      expect(parsed.problem, text).toMatch(/^[A-Z].*[.?]$/);
    }
  });
});
