import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkCharterDir, checkCharterText } from '../../../src/policy/charter.loader.ts';
import { allToolInfos } from '../../../src/tools/tool-catalog.ts';
import { chartersDir, fixturesDir, repoRoot } from './policy-fixtures.ts';

/** The tools Warden has, as the CLI and the app pass them. */
const knownTools = allToolInfos().map((t) => t.name);
const minimalText = readFileSync(join(fixturesDir, 'minimal.yaml'), 'utf8');
const triageText = readFileSync(join(chartersDir, 'triage.yaml'), 'utf8');

const problemsOf = (text: string, tools: readonly string[] | undefined = knownTools) =>
  checkCharterText({ text, file: 't.yaml', knownTools: tools }).problems;

/** The 1-based line of the first line of `text` equal to `line`. */
const lineOf = (text: string, line: string) => text.split('\n').indexOf(line) + 1;

describe('charter validation: tool names', () => {
  it('refuses a misspelt tool key, suggesting the tool meant, at the line of the key', () => {
    const text = triageText.replace('  rollback_deploy:\n', '  rolback_deploy:\n');
    expect(problemsOf(text)).toEqual([
      `t.yaml: tools.rolback_deploy: is not a tool Warden has; did you mean "rollback_deploy"? (line ${lineOf(text, '  rolback_deploy:')})`,
    ]);
  });

  it('keeps loading a charter alone as before when no tool catalog is given', () => {
    const text = triageText.replace('  rollback_deploy:\n', '  rolback_deploy:\n');
    expect(checkCharterText({ text, file: 't.yaml' }).problems).toEqual([]);
  });

  it('lists the tools Warden has when no name is close', () => {
    const [line] = problemsOf(minimalText.replace('  get_incident:', '  frobnicate:'));
    expect(line).toMatch(/^t\.yaml: tools\.frobnicate: is not a tool Warden has \(its tools: .*get_incident/);
  });

  it('refuses prohibitions and rate breakers naming a tool Warden does not have, but not "*"', () => {
    const text =
      `${minimalText}prohibited:\n  - tool: get_incidnet\n    reason: A typo would never match.\n` +
      "  - tool: '*'\n    reason: Everything is prohibited.\n" +
      'breakers:\n  - { name: tickets, kind: rate, tool: creat_ticket, limit: 5, window: 10m, cool_down: 1m }\n' +
      "  - { name: all, kind: rate, tool: '*', limit: 5, window: 10m, cool_down: 1m }\n";
    expect(problemsOf(text)).toEqual([
      't.yaml: prohibited[0].tool: names "get_incidnet", which is not a tool Warden has; did you mean "get_incident"? (line 15)',
      't.yaml: breakers[0].tool: names "creat_ticket", which is not a tool Warden has; did you mean "create_ticket"? (line 20)',
    ]);
  });

  it('accepts the shipped charters, the examples and the fixtures other tests load', () => {
    for (const dir of [chartersDir, join(repoRoot, 'examples/charters')]) {
      const { files, problems } = checkCharterDir({ dir, knownTools });
      expect([...files.flatMap((f) => f.problems), ...problems]).toEqual([]);
    }
    for (const name of ['minimal.yaml', 'read-only-lists-rollback.yaml']) {
      const text = readFileSync(join(fixturesDir, name), 'utf8');
      expect(checkCharterText({ text, file: name, knownTools }).problems).toEqual([]);
    }
  });
});

/** A charter whose `rollback_deploy` in staging needs `approve`, with the given groups. */
function withApproval({ groups, approve }: { groups: string; approve: string }): string {
  return minimalText
    .replace('tools:\n', `groups:\n${groups}tools:\n`)
    .replace(
      'budgets:',
      `  rollback_deploy:\n    environments:\n      staging:\n        approve: ${approve}\nbudgets:`,
    );
}

const TWO_SRES = '  sre: { users: [U0APPROVE1, U0APPROVE2] }\n';

describe('charter validation: approval rules nobody can satisfy', () => {
  it('refuses a count larger than the group has people, at the count', () => {
    const text = withApproval({ groups: TWO_SRES, approve: '{ count: 3, from: [sre] }' });
    expect(problemsOf(text)).toEqual([
      `t.yaml: tools.rollback_deploy.environments.staging.approve.count: asks for 3 different people, but group "sre" has only 2 people; lower count or add users to the group (line ${lineOf(text, '        approve: { count: 3, from: [sre] }')})`,
    ]);
    expect(problemsOf(withApproval({ groups: TWO_SRES, approve: '{ count: 2, from: [sre] }' }))).toEqual([]);
  });

  it('counts a person in two groups once', () => {
    const groups = `${TWO_SRES}  leads: { users: [U0APPROVE2] }\n`;
    expect(problemsOf(withApproval({ groups, approve: '{ count: 3, from: [sre, leads] }' }))).toEqual([
      expect.stringContaining(
        'approve.count: asks for 3 different people, but groups "sre", "leads" have only 2 people between them',
      ),
    ]);
  });

  it('refuses groups_mode all when the groups cannot each have a different approver', () => {
    const groups =
      '  a: { users: [U0APPROVE1] }\n  b: { users: [U0APPROVE1] }\n  c: { users: [U0APPROVE1, U0APPROVE2, U0OWNER001] }\n';
    const [line] = problemsOf(
      withApproval({ groups, approve: '{ count: 3, from: [a, b, c], groups_mode: all }' }),
    );
    expect(line).toContain(
      't.yaml: tools.rollback_deploy.environments.staging.approve.from: with groups_mode all, each group needs a different approver',
    );
    expect(line).toContain('(a: U0APPROVE1; b: U0APPROVE1; c: U0APPROVE1, U0APPROVE2, U0OWNER001)');
  });

  it('does not judge a rule naming a Slack user group, whose members are known only at run time', () => {
    const groups = '  sre: { users: [U0APPROVE1], slack_usergroup: S0SRE0001 }\n';
    expect(problemsOf(withApproval({ groups, approve: '{ count: 5, from: [sre] }' }))).toEqual([]);
  });

  it('refuses a group with neither users nor a user group (so groups_mode all could never be met)', () => {
    const groups = `${TWO_SRES}  nobody: { users: [] }\n`;
    const problems = problemsOf(
      withApproval({ groups, approve: '{ count: 2, from: [sre, nobody], groups_mode: all }' }),
    );
    expect(problems).toEqual([
      expect.stringContaining(
        't.yaml: groups.nobody: must list users, a slack_usergroup or an oncall source',
      ),
    ]);
  });
});

describe('charter validation: YAML syntax errors, once, at their line', () => {
  const cases: [string, (text: string) => string, string, string][] = [
    [
      'an unclosed { (the parser complains at every key below it)',
      (t) =>
        t.replace(
          '    environments: { staging: allow, production: allow }\n',
          '    environments: { staging: allow, production: allow\n',
        ),
      '    environments: { staging: allow, production: allow',
      'tools.get_incident.environments: is not valid YAML: the { here is never closed; add the }',
    ],
    [
      'an unclosed quote (the parser complains where the next one opens)',
      (t) => t.replace('purpose: Investigates', 'purpose: "Investigates'),
      'purpose: "Investigates an incident, gathers evidence and proposes remediations that people approve.',
      'purpose: is not valid YAML: the quoted text starting here is never closed; add the closing "',
    ],
    [
      'a key indented one space too far (the parser complains at the comment above it)',
      (t) => t.replace('  restart_service:\n', '   restart_service:\n'),
      '   restart_service:',
      "is not valid YAML: this line's indentation does not line up with the keys above it",
    ],
    [
      'a key without its colon',
      (t) => t.replace('  scale_service:\n', '  scale_service\n'),
      '  scale_service',
      'is not valid YAML: this key runs on to the next line; is the ":" after it missing?',
    ],
    [
      'a line indented too far under a value',
      (t) => t.replace('  technical: U0OWNER001\n', '   technical: U0OWNER001\n'),
      '   technical: U0OWNER001',
      'owners.business: is not valid YAML: this line is indented further than the key above it',
    ],
    [
      'a tab used to indent',
      (t) => t.replace('  search_logs:\n    environments:', '  search_logs:\n\tenvironments:'),
      '\tenvironments: { staging: allow, production: allow }',
      'is not valid YAML: this line is indented with a tab; YAML indents with spaces',
    ],
  ];
  it.each(cases)('reports %s once, at the line of the mistake', (_name, edit, badLine, message) => {
    const text = edit(triageText);
    expect(text).not.toBe(triageText);
    const problems = problemsOf(text);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(message);
    expect(problems[0]).toMatch(new RegExp(`^t\\.yaml: .*\\(line ${lineOf(text, badLine)}, column \\d+\\)$`));
  });
});
