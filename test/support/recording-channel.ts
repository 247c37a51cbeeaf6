// A real Channel implementation that records what it delivers, for tests that drive the Conductor directly.

import type { SentMessage } from '../../src/domain/messages.ts';
import type { Channel, InboundHandler } from '../../src/ports/channel.ts';

export class RecordingChannel implements Channel {
  readonly name = 'testchat';
  readonly delivered: { chatId: string; message: SentMessage }[] = [];
  async start(_handler: InboundHandler): Promise<void> {}
  async stop(): Promise<void> {}
  async deliver(chatId: string, message: SentMessage): Promise<undefined> {
    this.delivered.push({ chatId, message });
    return undefined;
  }
  describe(): string {
    return 'test chat';
  }
}
