// /business: the details printed on invoices (name, address, VAT/tax id, email, bank, payment terms).

import type { SettingsStore } from '../ports/store.ts';
import { applyField, businessSetting, describeBusiness, FIELDS, missingForPdf } from '../invoices/business.ts';
import type { CommandFamily } from './registry.ts';

export function businessCommands(deps: { settings: SettingsStore }): CommandFamily {
  const business = businessSetting(deps.settings);
  return {
    commands: [
      {
        name: 'business',
        usage: '[name|address|vat|email|bank|terms <value>]',
        description: 'show or set the business details printed on your invoices',
        run: async (ctx, args) => {
          const current = (await business.get()) ?? {};
          const text = args.trim();
          if (text === '') {
            const missing = missingForPdf(current);
            const help = Object.entries(FIELDS)
              .map(([f, what]) => `/business ${f} — ${what}`)
              .join('\n');
            return void (await ctx.reply(
              `Business details on your invoices:\n${describeBusiness(current)}\n${missing ? `Invoices get no PDF until you set ${missing}.\n` : ''}\n${help}`,
            ));
          }
          const [field = '', ...rest] = text.split(/\s+/);
          const applied = applyField(current, field.toLowerCase(), text.slice(field.length));
          if ('error' in applied) return void (await ctx.reply(applied.error));
          await business.set(applied.details);
          const missing = missingForPdf(applied.details);
          await ctx.reply(
            `${rest.length === 0 ? `Cleared the business ${field.toLowerCase()}.` : 'Saved.'} ${missing ? `Invoices still need ${missing} for a PDF.` : 'New invoices carry these details.'}\n${describeBusiness(applied.details)}`,
          );
        },
      },
    ],
  };
}
