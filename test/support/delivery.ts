// Run deliveries for tests and benches that build an Engine without the app: one that drops messages, one that
// records what a run sends.

import type { OutboundMessage, SentMessage } from '../../src/domain/messages.ts';
import type { RunDelivery } from '../../src/engine/engine.ts';

export const nullDelivery: RunDelivery = {
  toRun: async () => undefined,
  copyCard: async () => [],
  cardDecided: async () => undefined,
};

export function recordingDelivery(sent: OutboundMessage[]): RunDelivery {
  return {
    toRun: async (_origin, message): Promise<SentMessage> => (
      sent.push(message),
      { id: String(sent.length), text: message.text, buttons: message.buttons ?? [] }
    ),
    copyCard: async () => [],
    cardDecided: async () => undefined,
  };
}
