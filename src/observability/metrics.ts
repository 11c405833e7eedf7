import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { countProposalsByState } from '../approvals/proposals.repository.ts';
import { listKillSwitches } from '../breakers/kill-switch.repository.ts';
import type { Db } from '../db/client.ts';

/** Prometheus metrics read from the database at scrape time, so every instance reports the shared truth. */
export function createMetrics({ db }: { db: Db }) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'warden_process_' });
  new Gauge({
    name: 'warden_kill_switch_engaged',
    help: 'Kill switch state by scope (1 engaged, 0 released)',
    labelNames: ['scope'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const row of await listKillSwitches({ db })) this.set({ scope: row.scope }, row.engaged ? 1 : 0);
    },
  });
  new Gauge({
    name: 'warden_proposals',
    help: 'Proposals by state',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const [state, n] of Object.entries(await countProposalsByState({ db }))) this.set({ state }, n);
    },
  });
  return {
    registry,
    handler: async (_req: unknown, res: import('node:http').ServerResponse) => {
      const body = await registry.metrics();
      res.writeHead(200, { 'content-type': registry.contentType });
      res.end(body);
    },
  };
}
