/**
 * The Slack side of the ack figure, in its own process so its work does not land on Warden's event loop:
 * the emulator's Web API, and a sink that answers every response_url post with 200 like Slack does.
 * Prints `slack-side http://127.0.0.1:<emulator port>/api/ sink=<port>`.
 */
import { createServer } from 'node:http';
import { startEmulator } from '../lib/warden.ts';

const { emulator, apiUrl } = await startEmulator();
const sink = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
  });
});
await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
const address = sink.address();
const sinkPort = typeof address === 'object' && address ? address.port : 0;
process.stdout.write(`slack-side ${apiUrl} sink=${sinkPort}\n`);
process.once('SIGTERM', () => {
  sink.close();
  void emulator.stop().finally(() => process.exit(0));
});
