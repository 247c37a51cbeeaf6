// Typed settings: each owner declares its keys with a zod schema next to the code that uses them, instead of one
// untyped key-value bag read with casts all over. A stored value that no longer fits its schema (written by an
// older version, or edited by hand) reads as unset, and the log says so once per read.

import type { z } from 'zod';
import type { Logger } from '../observability/logger.ts';
import type { SettingsStore } from '../ports/store.ts';

export interface Setting<T> {
  get(): Promise<T | undefined>;
  set(value: T): Promise<void>;
  clear(): Promise<void>;
}

export function setting<T>(
  settings: SettingsStore,
  key: string,
  schema: z.ZodType<T>,
  logger?: Pick<Logger, 'warn'>,
): Setting<T> {
  return {
    async get() {
      const raw = await settings.get<unknown>(key);
      if (raw === null || raw === undefined) return undefined;
      const parsed = schema.safeParse(raw);
      if (parsed.success) return parsed.data;
      logger?.warn(
        { key, issue: parsed.error.issues[0]?.message },
        'a stored setting does not fit its schema; treating it as unset',
      );
      return undefined;
    },
    set: (value) => settings.set(key, value),
    clear: () => settings.set(key, null),
  };
}

/** Settings that share a schema and differ by a suffix: `link-code:<code>`, `last-chat:<channel>`. */
export function settingFamily<T>(
  settings: SettingsStore,
  prefix: string,
  schema: z.ZodType<T>,
  logger?: Pick<Logger, 'warn'>,
): (id: string) => Setting<T> {
  return (id) => setting(settings, `${prefix}:${id}`, schema, logger);
}
