import { describe, expect, it } from 'vitest';
import { createCatalog } from '../../../src/catalog/catalog.ts';
import type { Db } from '../../../src/db/client.ts';
import { createManualClock } from '../../../src/shared/clock.ts';
import { createRedactor } from '../../../src/shared/redact.ts';
import { noSystems } from '../../../src/systems/systems.ts';
import { createToolRegistry } from '../../../src/tools/registry.ts';
import {
  allToolInfos,
  buildTools,
  TOOL_SPECS,
  toolCatalogEntries,
  toolSpecsFor,
} from '../../../src/tools/tool-catalog.ts';
import type { ToolDeps, ToolWorld } from '../../../src/tools/tool-spec.ts';

const WORLDS: ToolWorld[] = ['sandbox', 'catalog'];

// Building a tool touches nothing: the database and broker are only used when an executor runs.
const deps: ToolDeps = {
  db: {} as Db,
  broker: { verify: async () => Promise.reject(new Error('not in this test')) },
  clock: createManualClock(),
  redactor: createRedactor(),
  writeDelayMs: 0,
  catalog: createCatalog({ services: [], connections: {} }),
  systems: noSystems(),
};

describe('the tool catalog', () => {
  it.each(WORLDS)('gives lease rows to %s writes and to reads of systems that mint, only', (world) => {
    const { executors } = createToolRegistry({ tools: buildTools({ world, deps }) });
    for (const spec of toolSpecsFor({ world })) {
      const leased = spec.info.kind !== 'read' || ['kubernetes', 'github'].includes(spec.system);
      expect({ tool: spec.info.name, leased: executors.get(spec.info.name)?.leased }).toEqual({
        tool: spec.info.name,
        leased,
      });
    }
  });

  it.each(WORLDS)('builds every %s tool under the name and metadata its spec declares', (world) => {
    const specs = toolSpecsFor({ world });
    const tools = buildTools({ world, deps });
    expect(tools.map((t) => t.name)).toEqual(specs.map((s) => s.info.name));
    for (const [i, tool] of tools.entries()) {
      const { execute: _execute, verify: _verify, mintsCredential, ...info } = tool;
      expect(info).toEqual(specs[i]?.info);
      expect(mintsCredential).toBe(['kubernetes', 'github'].includes(specs[i]?.system ?? ''));
    }
    // The registry refuses duplicate names, so this also proves names are unique within a world.
    expect(() => createToolRegistry({ tools })).not.toThrow();
  });

  it('gives a name shared by both worlds the same kind, risk and reversibility', () => {
    const byName = new Map<string, (typeof TOOL_SPECS)[number][]>();
    for (const spec of TOOL_SPECS) byName.set(spec.info.name, [...(byName.get(spec.info.name) ?? []), spec]);
    for (const [name, specs] of byName) {
      const facts = specs.map((s) => ({
        name,
        kind: s.info.kind,
        risk: s.info.risk,
        reversible: s.info.reversible,
      }));
      expect(new Set(facts.map((f) => JSON.stringify(f))).size, name).toBe(1);
      const worlds = specs.flatMap((s) => s.worlds);
      expect(new Set(worlds).size, `${name} is declared twice for one world`).toBe(worlds.length);
    }
  });

  it('lists every tool once for the CLI, sandbox tools rated as the story needs', () => {
    const names = allToolInfos().map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    expect(new Set(names)).toEqual(new Set(TOOL_SPECS.map((s) => s.info.name)));
    expect(toolCatalogEntries()).toMatchObject({
      get_incident: { kind: 'read', risk: 'low', reversible: true },
      get_service_health: { kind: 'read', risk: 'low', reversible: true },
      get_recent_deploys: { kind: 'read', risk: 'low', reversible: true },
      search_logs: { kind: 'read', risk: 'low', reversible: true },
      create_ticket: { kind: 'write', risk: 'low', reversible: true },
      restart_service: { kind: 'write', risk: 'medium', reversible: true },
      scale_service: { kind: 'write', risk: 'medium', reversible: true },
      rollback_deploy: { kind: 'write', risk: 'high', reversible: false },
    });
  });

  it('keeps the sandbox world as it was: four reads and four writes', () => {
    expect(toolSpecsFor({ world: 'sandbox' }).map((s) => s.info.name)).toEqual([
      'get_incident',
      'get_service_health',
      'get_recent_deploys',
      'search_logs',
      'create_ticket',
      'restart_service',
      'scale_service',
      'rollback_deploy',
    ]);
  });
});
