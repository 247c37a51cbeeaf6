// Linking another chat account to the operator: a trusted chat asks for a short-lived code; the new account sends
// `/link <code>` and becomes one of the operator's identities. A code works once, for ten minutes.

import { z } from 'zod';
import { newEvent } from '../domain/events.ts';
import { randomId } from '../domain/ids.ts';
import type { Logger } from '../observability/logger.ts';
import type { EventLog, IdentityStore, SettingsStore } from '../ports/store.ts';
import { settingFamily } from '../settings/setting.ts';

const LINK_TTL_MS = 10 * 60_000;
const linkCode = z.object({ expiresAt: z.string(), by: z.string() });

export class Links {
  readonly #codes;
  readonly #identities: IdentityStore;
  readonly #events: EventLog;

  constructor(deps: {
    settings: SettingsStore;
    identities: IdentityStore;
    events: EventLog;
    logger?: Pick<Logger, 'warn'>;
  }) {
    this.#codes = settingFamily(deps.settings, 'link-code', linkCode, deps.logger);
    this.#identities = deps.identities;
    this.#events = deps.events;
  }

  /** A new code for `by` (`<channel>:<sender>`), valid for ten minutes. */
  async create(by: string, channel: string, now = new Date()): Promise<{ code: string; expiresAt: Date }> {
    const code = randomId('', 8);
    const expiresAt = new Date(now.getTime() + LINK_TTL_MS);
    await this.#codes(code.toLowerCase()).set({ expiresAt: expiresAt.toISOString(), by });
    await this.#events.append(
      newEvent('link.requested', `identities:${channel}`, { channel, expiresAt: expiresAt.toISOString() }),
    );
    return { code, expiresAt };
  }

  /** Redeems a code sent by a not-yet-trusted account: true when the account is now one of the operator's. */
  async redeem(
    code: string,
    account: { channel: string; senderId: string },
    log: Pick<Logger, 'info'>,
  ): Promise<boolean> {
    const stored = this.#codes(code.toLowerCase());
    const entry = await stored.get();
    if (!entry || new Date(entry.expiresAt) <= new Date()) return false;
    await stored.clear();
    const { channel, senderId } = account;
    const via = `link:${entry.by}`;
    await this.#identities.upsert({
      channel,
      externalId: senderId,
      label: `${channel} (linked)`,
      linkedAt: new Date(),
      via,
    });
    await this.#events.append(
      newEvent('identity.linked', `identities:${channel}`, { channel, externalId: senderId, via }),
    );
    log.info({ channel, senderId, via }, 'linked a new operator identity');
    return true;
  }
}
