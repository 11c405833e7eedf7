/**
 * The baseline app: a bare Bolt app (`App` + `HTTPReceiver`, the same options Warden uses) whose `/agent`
 * handler only acks, on a plain Node HTTP server with `GET /healthz`. Prints `http://127.0.0.1:<port>`.
 */
import { createServer } from 'node:http';
import * as bolt from '@slack/bolt';

const { App, HTTPReceiver } = bolt;
const signingSecret = process.env.SLACK_SIGNING_SECRET ?? 'bench-signing-secret';
const receiver = new HTTPReceiver({
  signingSecret,
  endpoints: '/slack/events',
  processBeforeResponse: false,
});
const app = new App({
  token: process.env.SLACK_BOT_TOKEN ?? 'xoxb-bench',
  receiver,
  tokenVerificationEnabled: false,
  botId: 'B0BARE',
  botUserId: 'U0BAREBOT',
});
app.command('/agent', async ({ ack }) => {
  await ack();
});
const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
    return;
  }
  receiver.requestListener(req, res);
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(
    `bare Bolt on http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}\n`,
  );
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
