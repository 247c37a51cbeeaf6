// The commands every Solo OS has: /help (generated from the registry) and /status.

import { llmConfigured, type Config } from '../config.ts';
import type { MemoryStatus } from '../memory/types.ts';
import type { Channel } from '../ports/channel.ts';
import type { CommandFamily, Registry } from './registry.ts';

export interface StatusDeps {
  version: string;
  startedAt: Date;
  store: { kind: string; location: string };
  memory: { status(): Promise<MemoryStatus> };
  channels: () => Channel[];
  config: Pick<Config, 'OPENAI_BASE_URL' | 'OPENAI_API_KEY' | 'OPENAI_MODEL'>;
  /** More lines, one provider per part (connectors, the scheduler). */
  extra?: (() => Promise<string[]>)[];
}

function formatUptime(ms: number): string {
  const s = Math.floor(ms / 1000);
  const [d, h, m] = [Math.floor(s / 86400), Math.floor((s % 86400) / 3600), Math.floor((s % 3600) / 60)];
  if (d > 0) return `${d}d ${h}h ${m}m`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

function modelLine(c: StatusDeps['config']): string {
  if (!llmConfigured(c)) return 'not configured (set OPENAI_BASE_URL, OPENAI_API_KEY and OPENAI_MODEL)';
  const where = c.OPENAI_BASE_URL ? new URL(c.OPENAI_BASE_URL).host : 'api.openai.com';
  return `${c.OPENAI_MODEL} at ${where}`;
}

export function helpCommand(registry: Registry): CommandFamily {
  return {
    commands: [
      {
        name: 'help',
        description: 'list the commands',
        run: async (ctx) => {
          const lines = registry.commands().map((c) => `/${c.name}${c.usage ? ` ${c.usage}` : ''} — ${c.description}`);
          // Words that are not commands but do something.
          if (registry.findCommand('recall'))
            lines.push('why? — right after an answer or a /recall: the memories it used and where each came from');
          await ctx.reply({ text: `Commands:\n${lines.join('\n')}`, buttons: [{ label: 'Status', data: '/status' }] });
        },
      },
    ],
  };
}

export function statusCommand(s: StatusDeps): CommandFamily {
  return {
    commands: [
      {
        name: 'status',
        description: 'uptime, store, channels and model',
        run: async (ctx) => {
          const memory = await s.memory.status();
          const e = memory.embedder;
          const recall =
            e.state === 'ready' || e.state === 'idle'
              ? `hybrid (keywords + ${e.model}${e.state === 'idle' ? ', loads on use' : ''}), ${memory.vectors} embedded`
              : e.state === 'loading' || e.state === 'downloading'
                ? `keywords while ${e.model} is ${e.state}${e.progress !== undefined ? ` (${Math.round(e.progress)}%)` : ''}`
                : `keywords only: ${e.reason ?? `embeddings ${e.state}`}`;
          const rssMb = Math.round(process.memoryUsage().rss / 1024 / 1024);
          await ctx.reply(
            [
              `Solo OS ${s.version}, up ${formatUptime(Date.now() - s.startedAt.getTime())}, ${rssMb} MB`,
              `Store: ${s.store.kind} (${s.store.location})`,
              `Memory: ${memory.memories} item${memory.memories === 1 ? '' : 's'}; recall ${recall}`,
              `Channels: ${
                s
                  .channels()
                  .map((c) => c.describe())
                  .join('; ') || 'none'
              }`,
              `Model: ${modelLine(s.config)}`,
              ...(await Promise.all((s.extra ?? []).map((lines) => lines()))).flat(),
            ].join('\n'),
          );
        },
      },
    ],
  };
}
