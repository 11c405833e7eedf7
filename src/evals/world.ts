import type { ToolInfo } from '../tools/define.ts';
import { toolSpecsFor } from '../tools/tool-catalog.ts';
import type { ToolWorld } from '../tools/tool-spec.ts';

/**
 * The world a deployment's registry was built for: sandbox when it has a tool only the sandbox has, else
 * the catalog's. Tools of one name differ between worlds (the catalog's create_ticket files per service),
 * so a case is replayed with the schemas of the world it was recorded in.
 */
export function worldOfRegistry({ has }: { has: (tool: string) => boolean }): ToolWorld {
  const catalog = new Set(toolSpecsFor({ world: 'catalog' }).map((s) => s.info.name));
  const sandboxOnly = toolSpecsFor({ world: 'sandbox' })
    .map((s) => s.info.name)
    .filter((name) => !catalog.has(name));
  return sandboxOnly.some(has) ? 'sandbox' : 'catalog';
}

/** The tools of a world as a planner is offered them (name, schema, kind, risk). */
export function toolInfosOf(world: ToolWorld): ToolInfo[] {
  return toolSpecsFor({ world }).map((s) => s.info);
}
