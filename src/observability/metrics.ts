import type { ServerResponse } from 'node:http';
import { AggregatorRegistry, Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { listBreakerStates } from '../breakers/breakers.repository.ts';
import { listKillSwitches } from '../breakers/kill-switch.repository.ts';
import type { Db } from '../db/client.ts';
import { countProposalsByState } from '../proposals/proposals.repository.ts';
import { type Clock, systemClock } from '../shared/clock.ts';
import { summarizeBreakers } from './figures.definitions.ts';

/** The charters whose breakers the breaker gauge lists (each, even never tripped). */
type BreakerCharters = () => readonly { agent: string; breakers: readonly { name: string }[] }[];

/** Seconds a person takes to approve or reject: from seconds to hours. */
const WAIT_BUCKETS = [5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600];
/** Seconds a tool takes to run. */
const EXECUTION_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/**
 * Warden's Prometheus instruments on one registry. Counters and histograms count what this instance did
 * (Prometheus sums instances); the gauges read the database at scrape time, so every instance reports
 * the shared truth (kill switches, breakers, proposals). A gauge whose database read fails is left empty
 * rather than failing the scrape (`/healthz` reports the database).
 */
export function createWardenMetrics({
  db,
  clock = systemClock,
  charters = () => [],
}: {
  db: Db;
  clock?: Clock;
  charters?: BreakerCharters;
}) {
  let breakerCharters = charters;
  const registry = new Registry();
  const registers = [registry];
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Counter<L>({ name, help, labelNames, registers });
  const histogram = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    buckets: number[],
  ) => new Histogram<L>({ name, help, labelNames, buckets, registers });

  new Gauge({
    name: 'warden_kill_switch_engaged',
    help: 'Kill switch state by scope (1 engaged, 0 released), read from the database at scrape',
    labelNames: ['scope'],
    registers,
    async collect() {
      this.reset();
      const rows = await listKillSwitches({ db }).catch(() => []);
      for (const row of rows) this.set({ scope: row.scope }, row.engaged ? 1 : 0);
    },
  });
  new Gauge({
    name: 'warden_proposals',
    help: 'Proposals by state, read from the database at scrape',
    labelNames: ['state'],
    registers,
    async collect() {
      this.reset();
      const byState = await countProposalsByState({ db }).catch(() => ({}));
      for (const [state, n] of Object.entries(byState)) this.set({ state }, n);
    },
  });
  new Gauge({
    name: 'warden_breakers_open',
    help: 'Every circuit breaker (as /agent status counts them): 1 open, 0.5 half-open, 0 closed; read at scrape',
    labelNames: ['agent', 'breaker'],
    registers,
    async collect() {
      this.reset();
      const rows = await listBreakerStates({ db, now: clock.now() }).catch(() => null);
      if (!rows) return;
      for (const b of summarizeBreakers({ charters: breakerCharters(), rows })) {
        this.set(
          { agent: b.agent, breaker: b.breaker },
          b.state === 'open' ? 1 : b.state === 'half_open' ? 0.5 : 0,
        );
      }
    },
  });

  return {
    registry,
    /** Lists these charters' breakers in the breaker gauge from now on (the charters load after metrics). */
    useCharters(list: BreakerCharters): void {
      breakerCharters = list;
    },
    runsStarted: counter('warden_runs_started_total', 'Agent runs started', ['agent']),
    runsFinished: counter('warden_runs_finished_total', 'Agent runs finished, by outcome', [
      'agent',
      'outcome',
    ]),
    toolCalls: counter(
      'warden_tool_calls_total',
      'Tool executions, by result (succeeded, failed, outcome_unknown, refused)',
      ['agent', 'tool', 'environment', 'result'],
    ),
    decisions: counter(
      'warden_decisions_total',
      'Guard decisions (allow, needs_approval, deny), by reason code',
      ['agent', 'decision', 'reason'],
    ),
    approvalDecisions: counter(
      'warden_approval_decisions_total',
      'Approve and Reject clicks that counted (one per person and proposal); proposals are warden_proposals_decided_total',
      ['agent', 'decision'],
    ),
    proposalsDecided: counter(
      'warden_proposals_decided_total',
      'Proposals people decided: approved (approval rule satisfied) or rejected, each once',
      ['agent', 'outcome'],
    ),
    approvalRefusals: counter(
      'warden_approval_refusals_total',
      'Approve/Reject clicks that did not count, by reason',
      ['agent', 'reason'],
    ),
    proposalsExpired: counter('warden_proposals_expired_total', 'Proposals whose approval window closed', [
      'agent',
    ]),
    approvalWait: histogram(
      'warden_approval_wait_seconds',
      'Time from a proposal to the first human decision on it (first Approve or Reject), by that decision',
      ['agent', 'outcome'],
      WAIT_BUCKETS,
    ),
    executionSeconds: histogram(
      'warden_tool_execution_seconds',
      'Tool execution latency, from the claim to the recorded outcome',
      ['tool', 'result'],
      EXECUTION_BUCKETS,
    ),
    breakerTrips: counter('warden_breaker_trips_total', 'Circuit breaker trips', ['agent', 'breaker']),
    killSwitchEngaged: counter('warden_kill_switch_engagements_total', 'Times the kill switch was engaged', [
      'scope',
    ]),
    modelTokens: counter('warden_model_tokens_total', 'Model tokens used by agent runs', ['agent']),
    alertsRaised: counter('warden_alerts_raised_total', 'Behaviour alerts raised', ['agent', 'rule']),
    slackApiErrors: counter(
      'warden_slack_api_errors_total',
      'Slack Web API calls that failed, by method and error',
      ['method', 'error'],
    ),
    slackRateLimited: counter('warden_slack_rate_limited_total', 'Slack Web API calls answered 429', [
      'method',
    ]),
    slackRateLimitWait: counter(
      'warden_slack_rate_limit_wait_seconds_total',
      'Seconds Slack asked Warden to wait (Retry-After)',
      ['method'],
    ),
    slackShed: counter(
      'warden_slack_shed_total',
      'Slack requests answered "busy" and not started because this instance was overloaded, by reason',
      ['reason'],
    ),
  };
}

export type WardenMetrics = ReturnType<typeof createWardenMetrics>;

/**
 * The `GET /metrics` handler (Prometheus text) over a registry: the services' one
 * (`services.metrics.registry`), or a new one with the database gauges only. Adds the process metrics once.
 */
export function createMetrics({
  db,
  registry,
  more,
}: {
  db: Db;
  registry?: Registry;
  /**
   * Metrics of other threads of this instance (the run worker's counters and histograms, prom-client
   * JSON), added to this registry's at each scrape: counters and histograms sum.
   */
  more?: () => Promise<object[][]>;
}) {
  const target = registry ?? createWardenMetrics({ db }).registry;
  // prom-client's process_* and nodejs_* metrics, as warden_process_cpu_user_seconds_total and so on.
  if (!target.getSingleMetric('warden_process_cpu_user_seconds_total')) {
    collectDefaultMetrics({ register: target, prefix: 'warden_' });
  }
  return {
    registry: target,
    handler: async (_req: unknown, res: ServerResponse) => {
      const others = more ? (await more()).filter((m) => m.length > 0) : [];
      const body =
        others.length === 0
          ? await target.metrics()
          : await AggregatorRegistry.aggregate([await target.getMetricsAsJSON(), ...others]).metrics();
      res.writeHead(200, { 'content-type': target.contentType });
      res.end(body);
    },
  };
}
