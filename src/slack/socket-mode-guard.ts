import type { Logger } from '../shared/logger.ts';

type MessageEmitter = {
  listeners(event: string): ((...args: unknown[]) => unknown)[];
  removeAllListeners(event: string): unknown;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
};

/**
 * @slack/socket-mode 2.x parses each WebSocket frame in an async `ws_message` listener whose rejection
 * nothing catches: a frame like `{"type":"events_api","payload":null}` would stop the process with an
 * unhandled rejection. This re-registers those listeners so a rejection is logged (without the frame) instead.
 * Bolt's own processing errors are already caught by its receiver.
 */
export function guardSocketModeMessages({
  client,
  logger,
}: {
  client: MessageEmitter;
  logger: Logger;
}): void {
  const listeners = client.listeners('ws_message');
  client.removeAllListeners('ws_message');
  for (const listener of listeners) {
    const ignore = (error: unknown) => {
      logger.warn({ err: error }, 'Socket Mode message Warden could not read; ignored');
    };
    client.on('ws_message', (...args: unknown[]) => {
      try {
        Promise.resolve(listener(...args)).catch(ignore);
      } catch (error) {
        ignore(error);
      }
    });
  }
}
