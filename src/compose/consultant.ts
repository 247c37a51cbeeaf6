// The consultant's pipeline wired in: the packages, templates and criteria (loaded and watched), the pipeline and
// overdue-reminder workflows on the connectors, memory, agents and scheduler the app already has, the /lead,
// /pipeline and /packages commands, and the inbox's leads (a mail triaged as a lead starts a run of its own).

import { resolve } from 'node:path';
import { renderProposalPdf } from '../../adapters/documents/proposal-pdf.ts';
import type { CommandFamily } from '../commands/registry.ts';
import { pipelineCommands } from '../commands/pipeline.ts';
import type { Config } from '../config.ts';
import { stableId } from '../domain/ids.ts';
import type { Engine } from '../engine/engine.ts';
import { NonRetriableError, type AnyWorkflow } from '../engine/workflow.ts';
import { entityKey } from '../memory/entities.ts';
import type { MemoryService } from '../memory/memory.ts';
import type { Logger } from '../observability/logger.ts';
import { PipelineCatalog } from '../pipeline/packages.ts';
import type { InboundMail } from '../ports/mail.ts';
import type { Store } from '../ports/store.ts';
import { followUps } from '../scheduling/follow-ups.ts';
import { consultantWorkflow, CONSULTANT_WORKFLOW } from '../workflows/consultant.ts';
import { overdueReminderWorkflow } from '../workflows/consultant-reminder.ts';
import type { AgentsPart } from './agents.ts';
import type { ConnectorsPart } from './connectors.ts';
import type { SchedulingPart } from './scheduler.ts';

export interface ConsultantParts {
  config: Config;
  store: Store;
  engine: Pick<Engine, 'start' | 'signal'>;
  memory: MemoryService;
  agents: AgentsPart;
  connectors: ConnectorsPart;
  scheduling: SchedulingPart;
  notice: (text: string) => void;
  logger: Logger;
}

export interface ConsultantPart {
  workflows: AnyWorkflow[];
  commands: CommandFamily;
  /** For the inbox: a mail triaged as a lead becomes a lead's run (once per mail). */
  onLead: (mail: InboundMail) => Promise<void>;
  close(): void;
}

export async function composeConsultant(p: ConsultantParts): Promise<ConsultantPart> {
  const catalog = new PipelineCatalog(
    {
      packages: resolve(p.config.PACKAGES_DIR),
      templates: resolve(p.config.TEMPLATES_DIR),
      policies: resolve(p.config.POLICIES_DIR),
    },
    (error) => p.notice(`A package or template change was not applied: ${error}`),
  );
  await catalog.load();
  catalog.watch();
  const agents = () => {
    const deps = p.agents.agents();
    if (!deps)
      throw new NonRetriableError(
        'No model is configured, so leads cannot be qualified or proposals written; set OPENAI_MODEL and restart.',
      );
    return deps;
  };
  const workflows: AnyWorkflow[] = [
    consultantWorkflow({
      agents,
      catalog,
      memory: p.memory,
      memories: p.store.memories,
      mail: () => p.connectors.mail,
      booking: p.connectors.booking,
      invoices: p.connectors.invoices,
      followUps: followUps(async () => (await p.scheduling.ready()).schedules),
      renderPdf: renderProposalPdf,
    }),
    overdueReminderWorkflow({ ledger: p.store.ledger, mail: () => p.connectors.mail }),
  ];
  const missing = (): string | undefined => {
    const lacking = [
      p.agents.agents() ? '' : 'a model (OPENAI_MODEL)',
      p.connectors.mail ? '' : 'mail (SMTP_URL, IMAP_URL, MAIL_FROM)',
      p.connectors.calendar ? '' : 'a calendar (CALDAV_URL)',
    ].filter(Boolean);
    return lacking.length > 0
      ? `The pipeline needs ${lacking.join(', ')}; set ${lacking.length === 1 ? 'it' : 'them'} and restart.`
      : undefined;
  };
  const clients = async () => {
    await p.memory.start();
    return p.memory.knownNames(500).flatMap((name) => {
      const key = entityKey('client', name);
      return p.memory.entityName(key) === undefined ? [] : [{ key, name }];
    });
  };
  const commands = pipelineCommands({
    engine: p.engine,
    runs: p.store.runs,
    approvals: p.store.approvals,
    catalog,
    clients,
    missing,
  });
  const onLead = async (mail: InboundMail): Promise<void> => {
    const from = mail.from;
    if (!from || missing()) return;
    const notes = `${mail.subject}\n\n${mail.text}`.slice(0, 4000);
    const name = from.name?.replace(/[<>"]/g, '').trim() || from.address;
    // One run per mail, whatever the poller reads twice.
    const id = stableId('r', `lead:${mail.messageId ?? mail.id}`);
    await p.engine.start(
      CONSULTANT_WORKFLOW,
      { name, email: from.address.toLowerCase(), notes, via: 'mail' },
      // A mail, not the operator, started it: its cards wait for quiet hours to end.
      { id, origin: { channel: 'web', chatId: 'operator', proactive: true } },
    );
  };
  return { workflows, commands, onLead, close: () => catalog.close() };
}
