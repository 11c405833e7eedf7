import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  checkCharterDir,
  loadCharterFile,
  loadCharters,
  parseCharterText,
} from '../../../src/policy/charter.loader.ts';
import { isWardenError, type WardenError } from '../../../src/shared/errors.ts';
import { chartersDir, fixturesDir } from './policy-fixtures.ts';

const fixture = (name: string) => join(fixturesDir, name);
const minimalText = readFileSync(fixture('minimal.yaml'), 'utf8');

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (!isWardenError(error, 'charter.invalid')) throw error;
    const lines = (error as WardenError).message.split('\n');
    expect((error as WardenError).details.problems).toEqual(lines);
    return lines;
  }
  throw new Error('expected charter.invalid');
}

const tempDirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'warden-charters-'));
  tempDirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('loadCharterFile: valid charters', () => {
  it('loads the minimal charter with defaults applied, durations in ms and a content hash', () => {
    const charter = loadCharterFile({ file: fixture('minimal.yaml') });
    expect(charter.agent).toBe('minimal');
    expect(charter.file).toBe(fixture('minimal.yaml'));
    expect(charter.groups).toEqual({});
    expect(charter.prohibited).toEqual([]);
    expect(charter.allow_self_approval).toBe(false);
    expect(charter.budgets.wall_time).toBe(60_000);
    expect(charter.approval_ttl).toBe(600_000);
    expect(charter.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('hashes meaning, not formatting: comments, order, spacing and equal durations keep the hash', () => {
    const a = parseCharterText({ text: minimalText, file: 'a.yaml' });
    const reformatted = `# a new comment\n${minimalText
      .replace('approval_ttl: 10m', 'approval_ttl: 600s   # ten minutes')
      .replace('version: 1\n', '')}version: 1\n`;
    const b = parseCharterText({ text: reformatted, file: 'b.yaml' });
    expect(b.hash).toBe(a.hash);
    const changed = parseCharterText({
      text: minimalText.replace('tool_calls: 5', 'tool_calls: 6'),
      file: 'c.yaml',
    });
    expect(changed.hash).not.toBe(a.hash);
  });

  it('accepts the shipped charters', () => {
    const { charters } = loadCharters({ dir: chartersDir });
    expect(charters.map((c) => c.agent).sort()).toEqual(['evidence', 'triage']);
    const triage = charters.find((c) => c.agent === 'triage')!;
    expect(triage.environments).toEqual({
      staging: {
        mode: 'human_on_the_loop',
        alert_runs: { mode: 'shadow' },
        on_suspected_injection: 'require_approval',
      },
      production: {
        mode: 'human_in_the_loop',
        alert_runs: { mode: 'read_only' },
        on_suspected_injection: 'require_approval',
      },
    });
    expect(triage.tools.rollback_deploy?.environments.production).toEqual({
      approve: { count: 2, from: ['sre-approvers'], groups_mode: 'any' },
    });
    expect(triage.breakers.map((b) => b.name)).toEqual(['prod-tickets', 'write-failures', 'denials']);
    expect(triage.budgets).toEqual({ tool_calls: 30, tokens: 60_000, wall_time: 300_000 });
    expect(triage.approval_ttl).toBe(30 * 60_000);
  });
});

describe('loadCharterFile: hostile and broken files', () => {
  it('refuses an empty file', () => {
    const [line] = problemsOf(() => loadCharterFile({ file: fixture('empty.yaml') }));
    expect(line).toContain('empty.yaml: is empty');
  });

  it('refuses a top level that is not a mapping', () => {
    const [line] = problemsOf(() => loadCharterFile({ file: fixture('list.yaml') }));
    expect(line).toMatch(/list\.yaml: must be a YAML mapping .* holds a list/);
    expect(problemsOf(() => parseCharterText({ text: 'just a sentence\n', file: 'x.yaml' }))[0]).toContain(
      'a single string',
    );
  });

  it('refuses malformed YAML, naming the line', () => {
    const lines = problemsOf(() => loadCharterFile({ file: fixture('malformed.yaml') }));
    expect(lines).toEqual([
      `${fixture('malformed.yaml')}: purpose: is not valid YAML: the quoted text starting here is never closed; add the closing " (line 3, column 10)`,
    ]);
    expect(lines.every((l) => !l.includes('\n'))).toBe(true);
  });

  it('refuses YAML tags such as !!js/function and custom !tags, naming where they are', () => {
    const lines = problemsOf(() => loadCharterFile({ file: fixture('evil.yaml') }));
    expect(lines).toContain(
      `${fixture('evil.yaml')}: purpose: uses the YAML tag !!js/function (line 4); policy files may not use YAML tags`,
    );
    expect(lines.some((l) => l.includes('environments.staging.mode: uses the YAML tag !autonomous'))).toBe(
      true,
    );
  });

  it('refuses even the harmless-looking core tags and binary blobs', () => {
    for (const value of ['!!str 12', '!!binary aGVsbG8=', '!!set { a: null }']) {
      const text = minimalText.replace('version: 1', `version: ${value}`);
      expect(problemsOf(() => parseCharterText({ text, file: 't.yaml' }))[0]).toContain('uses the YAML tag');
    }
  });

  it('refuses duplicate keys, naming the mapping, the key and the line', () => {
    const lines = problemsOf(() => loadCharterFile({ file: fixture('duplicate-keys.yaml') }));
    expect(lines).toEqual([
      `${fixture('duplicate-keys.yaml')}: tools.get_incident.environments: key "staging" appears more than once (line 12)`,
    ]);
  });

  it('refuses unknown keys (the schema is strict), naming the path to the key', () => {
    const lines = problemsOf(() => loadCharterFile({ file: fixture('unknown-key.yaml') }));
    expect(lines).toEqual([
      `${fixture('unknown-key.yaml')}: tools.rollback_deploy.environments.staging.approve.requires_all: is not a known key (line 12)`,
    ]);
  });

  it('refuses references to environments and groups that do not exist', () => {
    const lines = problemsOf(() => loadCharterFile({ file: fixture('bad-reference.yaml') }));
    expect(lines).toContain(
      `${fixture('bad-reference.yaml')}: tools.restart_service.environments.prod: names environment "prod", which is not under environments (line 15)`,
    );
    expect(lines.some((l) => l.includes('approve.from[0]: names unknown group "sre"'))).toBe(true);
  });

  it('says what is wrong with each bad value, one line each', () => {
    const lines = problemsOf(() => loadCharterFile({ file: fixture('bad-values.yaml') }));
    const expected = [
      'agent: must be lower-case letters',
      'version: must be at least 1 (got 0)',
      'owners.business: must be a Slack user ID',
      'owners.security: is required',
      'environments.staging.mode: must be "shadow", "read_only"',
      'tools.rollback_deploy.environments.staging: must be "allow", "deny" or a mapping (got "sometimes")',
      'tools.rollback_deploy.environments.production.approve.count: must be at most 10 (got 11)',
      'tools.rollback_deploy.environments.production.approve.from: must have at least 1 item',
      'budgets.wall_time: must be a duration',
      'allow_self_approval: must be true or false (got "yes")',
    ];
    for (const piece of expected)
      expect(
        lines.some((l) => l.includes(piece)),
        piece,
      ).toBe(true);
    expect(lines).toHaveLength(expected.length);
    for (const line of lines) expect(line.startsWith(`${fixture('bad-values.yaml')}: `)).toBe(true);
  });

  it('refuses prohibitions and rate breakers that name a tool the charter does not list', () => {
    const text =
      `${minimalText}prohibited:\n  - tool: get_incidnet\n    reason: A typo would never match.\n` +
      'breakers:\n  - { name: tickets, kind: rate, tool: create_tickets, limit: 5, window: 10m, cool_down: 1m }\n';
    expect(problemsOf(() => parseCharterText({ text, file: 't.yaml' }))).toEqual([
      't.yaml: prohibited[0].tool: names tool "get_incidnet", which is not under tools; did you mean "get_incident"? (line 15)',
      't.yaml: breakers[0].tool: names tool "create_tickets", which is not under tools (line 18)',
    ]);
  });

  it('refuses a zero wall time and a zero approval TTL', () => {
    const text = minimalText
      .replace('wall_time: 1m', 'wall_time: 0s')
      .replace('approval_ttl: 10m', 'approval_ttl: 0m');
    const lines = problemsOf(() => parseCharterText({ text, file: 't.yaml' }));
    expect(lines.some((l) => l.startsWith('t.yaml: budgets.wall_time: must be longer than 0'))).toBe(true);
    expect(lines.some((l) => l.startsWith('t.yaml: approval_ttl: must be longer than 0'))).toBe(true);
  });

  it('refuses several documents in one file', () => {
    const lines = problemsOf(() =>
      parseCharterText({ text: `${minimalText}---\nagent: second\n`, file: 'm.yaml' }),
    );
    expect(lines[0]).toContain('m.yaml: is not valid YAML');
  });

  it('refuses an alias bomb without expanding it', () => {
    const rows = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++)
      rows.push(
        `${'abcdefghij'[i]}: &${'abcdefghij'[i]} [${Array(10)
          .fill(`*${'abcdefghij'[i - 1]}`)
          .join(', ')}]`,
      );
    const lines = problemsOf(() => parseCharterText({ text: `${rows.join('\n')}\n`, file: 'bomb.yaml' }));
    expect(lines[0]).toContain('bomb.yaml: cannot be read as plain data');
  });

  it('refuses a file over 1 MiB before reading it, and the same text when passed in', () => {
    const dir = tempDir();
    const file = join(dir, 'huge.yaml');
    writeFileSync(file, `${minimalText}# ${'x'.repeat(1024 * 1024)}\n`);
    expect(problemsOf(() => loadCharterFile({ file }))).toEqual([
      `${file}: is 1.0 MiB; policy files may be at most 1 MiB`,
    ]);
    expect(
      problemsOf(() => parseCharterText({ text: readFileSync(file, 'utf8'), file: 'huge.yaml' }))[0],
    ).toContain('at most 1 MiB');
  });

  it('reports a missing file plainly', () => {
    expect(problemsOf(() => loadCharterFile({ file: fixture('nope.yaml') }))[0]).toContain(
      'nope.yaml: cannot be read: no such file or directory',
    );
  });
});

describe('loadCharters: directories', () => {
  it('loads every charter and skips *.test.yaml, hidden and non-YAML files', () => {
    const dir = tempDir();
    copyFileSync(fixture('minimal.yaml'), join(dir, 'minimal.yaml'));
    writeFileSync(join(dir, 'minimal.test.yaml'), 'agent: minimal\ncases: []\n');
    writeFileSync(join(dir, '.draft.yaml'), 'not: [valid');
    writeFileSync(join(dir, 'README.md'), '# charters');
    mkdirSync(join(dir, 'sub.yaml'));
    const { charters } = loadCharters({ dir });
    expect(charters.map((c) => c.agent)).toEqual(['minimal']);
    expect(charters[0]?.file).toBe(join(dir, 'minimal.yaml'));
  });

  it('refuses two charters for the same agent, naming both files', () => {
    const dir = tempDir();
    copyFileSync(fixture('minimal.yaml'), join(dir, 'a.yaml'));
    copyFileSync(fixture('minimal.yaml'), join(dir, 'b.yml'));
    expect(problemsOf(() => loadCharters({ dir }))).toEqual([
      `${join(dir, 'b.yml')}: agent: "minimal" is already defined in ${join(dir, 'a.yaml')}`,
    ]);
  });

  it('reports the problems of every file at once', () => {
    const dir = tempDir();
    copyFileSync(fixture('minimal.yaml'), join(dir, 'minimal.yaml'));
    copyFileSync(fixture('empty.yaml'), join(dir, 'empty.yaml'));
    copyFileSync(fixture('unknown-key.yaml'), join(dir, 'unknown-key.yaml'));
    const lines = problemsOf(() => loadCharters({ dir }));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain('empty.yaml: is empty');
    expect(lines[1]).toContain('unknown-key.yaml: tools.rollback_deploy');
    expect(checkCharterDir({ dir }).files.map((f) => f.charter?.agent ?? null)).toEqual([
      null,
      'minimal',
      null,
    ]);
  });

  it('refuses a directory with no charters, and a missing directory', () => {
    expect(problemsOf(() => loadCharters({ dir: tempDir() }))[0]).toContain('holds no charter files');
    expect(problemsOf(() => loadCharters({ dir: join(fixturesDir, 'missing') }))[0]).toContain(
      'cannot read the charters directory',
    );
  });
});

describe('loadCharters: odd directory entries', () => {
  it('names a dangling link as a file that cannot be read', () => {
    const dir = tempDir();
    copyFileSync(fixture('minimal.yaml'), join(dir, 'minimal.yaml'));
    symlinkSync(join(dir, 'gone.yaml'), join(dir, 'link.yaml'));
    expect(problemsOf(() => loadCharters({ dir }))).toEqual([
      `${join(dir, 'link.yaml')}: cannot be read: no such file or directory`,
    ]);
  });
});
