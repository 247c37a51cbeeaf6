// The creator's content loop wired to the rest: pieces and audience questions over the settings store, the agents,
// memory, the calendar and mail connectors, follow-ups through the scheduler; its workflows, its commands, and the
// inbox hook that turns audience mail into questions linked to pieces.

import { AudienceQuestions, isAudienceQuestion, pieceNamed } from '../content/audience.ts';
import { ContentStore } from '../content/pieces.ts';
import { importStats } from '../content/stats.ts';
import { contentCommands } from '../commands/content.ts';
import type { CommandFamily } from '../commands/registry.ts';
import type { Config } from '../config.ts';
import type { Engine } from '../engine/engine.ts';
import { NonRetriableError, type AnyWorkflow } from '../engine/workflow.ts';
import type { MailTriage } from '../mail/triage.ts';
import type { MemoryService } from '../memory/memory.ts';
import type { Logger } from '../observability/logger.ts';
import type { InboundMail } from '../ports/mail.ts';
import type { Store } from '../ports/store.ts';
import { followUps } from '../scheduling/follow-ups.ts';
import {
  contentBriefWorkflow,
  contentDraftWorkflow,
  contentScheduleWorkflow,
  type ContentServices,
} from '../workflows/content.ts';
import { contentRepliesWorkflow, contentReviewWorkflow } from '../workflows/content-review.ts';
import type { AgentsPart } from './agents.ts';
import type { ConnectorsPart } from './connectors.ts';
import type { SchedulingPart } from './scheduler.ts';

export interface ContentParts {
  config: Config;
  store: Store;
  memory: MemoryService;
  agents: AgentsPart;
  /** Late-bound: the content part is made before the connectors, whose inbox hands it mail. */
  connectors: () => ConnectorsPart;
  scheduling: () => SchedulingPart;
  logger: Logger;
}

export interface ContentPart {
  services: ContentServices;
  workflows: AnyWorkflow[];
  /** The inbox hook: an audience question becomes a memory linked to its piece and waits for /replies. */
  /** Keeps an audience question; true when the mail was one (it is then not also a lead). */
  onMail(mail: InboundMail, triage: MailTriage): Promise<boolean>;
}

export function composeContent(p: ContentParts): ContentPart {
  const pieces = new ContentStore(p.store.settings);
  const remember = (input: Parameters<MemoryService['remember']>[0]) => p.memory.remember(input);
  const questions = new AudienceQuestions(p.store.settings, pieces, remember);
  const services: ContentServices = {
    pieces,
    questions,
    agents: () => {
      const deps = p.agents.agents();
      if (!deps)
        throw new NonRetriableError('No model is configured, so nothing can be written; set OPENAI_MODEL and restart.');
      return deps;
    },
    remember,
    memoryText: async (id) => (await p.memory.get(id))?.text,
    calendar: () => p.connectors().calendar,
    mail: () => p.connectors().mail,
    followUps: followUps(async () => (await p.scheduling().ready()).schedules),
    timeZone: p.config.TIMEZONE,
  };
  const log = p.logger.child({ component: 'content' });
  return {
    services,
    workflows: [
      contentBriefWorkflow(services),
      contentDraftWorkflow(services),
      contentScheduleWorkflow(services),
      contentReviewWorkflow(services),
      contentRepliesWorkflow(services),
    ] as AnyWorkflow[],
    async onMail(mail, triage) {
      const named = pieceNamed(await pieces.list(), `${mail.subject}\n${mail.text}`) !== undefined;
      if (!isAudienceQuestion(mail, triage, named) || !mail.from) return false;
      const q = await questions.add({
        key: mail.messageId ?? `mail:${mail.id}`,
        from: mail.from.address.toLowerCase(),
        subject: mail.subject,
        text: mail.text,
        at: new Date(mail.date),
        channel: 'mail',
      });
      if (q) log.info({ question: q.id, piece: q.pieceId }, 'audience question kept for /replies');
      return true;
    },
  };
}

/** The /idea, /brief, /draft, /calendar … family, from the parts the command registry has. */
export function contentCommandFamily(p: {
  config: Config;
  store: Store;
  engine: Engine;
  memory: MemoryService;
  agents: AgentsPart;
}): CommandFamily {
  const pieces = new ContentStore(p.store.settings);
  const remember = (input: Parameters<MemoryService['remember']>[0]) => p.memory.remember(input);
  return contentCommands({
    engine: p.engine,
    pieces,
    questions: new AudienceQuestions(p.store.settings, pieces, remember),
    importStats: (typed) => importStats({ pieces, remember, now: () => p.engine.now() }, p.config.IMPORT_DIR, typed),
    modelConfigured: () => p.agents.agents() !== undefined,
    timeZone: p.config.TIMEZONE,
    now: () => p.engine.now(),
  });
}
