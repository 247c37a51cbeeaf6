// Channel-neutral messages: what adapters translate platform updates into, and what the core sends back.

/** A button on an outbound message. `data` is what comes back when it is tapped (≤ 64 bytes, Telegram's limit). */
export interface ButtonSpec {
  label: string;
  data: string;
}

export interface OutboundMessage {
  text: string;
  buttons?: ButtonSpec[];
}

/** An outbound message after the channel delivered (and, for the web chat, stored) it. */
export interface SentMessage extends OutboundMessage {
  id: string;
  buttons: ButtonSpec[];
  /** Where the platform put it, when the channel can edit it later. */
  ref?: { channel: string; chatId: string; messageId: string };
}

interface InboundBase {
  /** Platform id of this update; redeliveries carry the same id and are dropped by the dedupe middleware. */
  id: string;
  channel: string;
  chatId: string;
  senderId: string;
}

interface InboundMessage extends InboundBase {
  kind: 'message';
  text: string;
}

interface InboundButton extends InboundBase {
  kind: 'button';
  data: string;
}

export type InboundEvent = InboundMessage | InboundButton;
