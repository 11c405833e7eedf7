import type { WebClient } from '@slack/web-api';
import { readHomeFigures } from '../../observability/figures.ts';
import { homeView } from '../blocks/home.blocks.ts';
import type { SlackDeps } from '../slack.types.ts';

/**
 * Publishes one person's App Home from the figures as they are now: when they open the tab, and again
 * after something they did there changed what it shows (a breaker reset). A failure is logged, never thrown:
 * the tab keeps its last view.
 */
export async function publishHome({
  deps,
  client,
  user,
}: {
  deps: Pick<SlackDeps, 'db' | 'charters' | 'clock' | 'logger'>;
  client: WebClient;
  user: string;
}): Promise<void> {
  try {
    const agents = deps.charters.list().map((c) => c.agent);
    const home = await readHomeFigures({ db: deps.db, agents, now: deps.clock.now() });
    await client.views.publish({ user_id: user, view: homeView(home) });
  } catch (error) {
    deps.logger.warn({ err: error, user }, 'could not publish the App Home');
  }
}
