// Block Kit as Slack checks it, for the blocks an app may post here: section, actions (buttons), divider, context.
// Slack answers invalid_blocks with one line per problem, each pointing at the field (json-pointer), like this.

import { randomUUID } from 'node:crypto';
import type { Block } from './workspace.ts';

const MAX_BLOCKS = 50;
const MAX_SECTION_TEXT = 3000;
const MAX_ACTIONS_ELEMENTS = 25;
const MAX_BUTTON_TEXT = 75;
const MAX_BUTTON_VALUE = 2000;
const MAX_ID = 255;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function textObject(value: unknown, at: string, max: number, types: string[], problems: string[]): void {
  if (!isObject(value) || typeof value.type !== 'string' || !types.includes(value.type)) {
    problems.push(`must be a text object of type ${types.join(' or ')} [json-pointer:${at}]`);
    return;
  }
  if (typeof value.text !== 'string' || value.text.length === 0)
    problems.push(`must be more than 0 characters [json-pointer:${at}/text]`);
  else if (value.text.length > max) problems.push(`must be less than ${max + 1} characters [json-pointer:${at}/text]`);
}

/** Problems with a blocks array, in Slack's words; none means Slack would render it. */
export function blockProblems(blocks: unknown): string[] {
  if (!Array.isArray(blocks)) return ['must be an array [json-pointer:/blocks]'];
  const problems: string[] = [];
  if (blocks.length > MAX_BLOCKS) problems.push(`no more than ${MAX_BLOCKS} items allowed [json-pointer:/blocks]`);
  const actionIds = new Set<string>();
  const blockIds = new Set<string>();
  blocks.forEach((block: unknown, i) => {
    const at = `/blocks/${i}`;
    if (!isObject(block)) return void problems.push(`must be an object [json-pointer:${at}]`);
    if (block.block_id !== undefined) {
      if (typeof block.block_id !== 'string' || block.block_id.length > MAX_ID)
        problems.push(`invalid block_id [json-pointer:${at}/block_id]`);
      else if (blockIds.has(block.block_id)) problems.push(`duplicate block_id [json-pointer:${at}/block_id]`);
      else blockIds.add(block.block_id);
    }
    if (block.type === 'section')
      return textObject(block.text, `${at}/text`, MAX_SECTION_TEXT, ['mrkdwn', 'plain_text'], problems);
    if (block.type === 'divider') return;
    if (block.type === 'context') {
      if (!Array.isArray(block.elements) || block.elements.length === 0)
        problems.push(`must provide elements [json-pointer:${at}/elements]`);
      return;
    }
    if (block.type !== 'actions') return void problems.push(`unsupported block type [json-pointer:${at}/type]`);
    const elements = block.elements;
    if (!Array.isArray(elements) || elements.length === 0)
      return void problems.push(`must provide elements [json-pointer:${at}/elements]`);
    if (elements.length > MAX_ACTIONS_ELEMENTS)
      problems.push(`no more than ${MAX_ACTIONS_ELEMENTS} items allowed [json-pointer:${at}/elements]`);
    elements.forEach((element: unknown, j) => {
      const el = `${at}/elements/${j}`;
      if (!isObject(element) || element.type !== 'button')
        return void problems.push(`unsupported element type [json-pointer:${el}]`);
      textObject(element.text, `${el}/text`, MAX_BUTTON_TEXT, ['plain_text'], problems);
      if (typeof element.value === 'string' && element.value.length > MAX_BUTTON_VALUE)
        problems.push(`must be less than ${MAX_BUTTON_VALUE + 1} characters [json-pointer:${el}/value]`);
      const actionId = element.action_id;
      if (typeof actionId !== 'string' || actionId.length === 0 || actionId.length > MAX_ID)
        return void problems.push(`invalid action_id [json-pointer:${el}/action_id]`);
      if (actionIds.has(actionId)) problems.push(`duplicate action_id ${actionId} [json-pointer:${el}/action_id]`);
      actionIds.add(actionId);
    });
  });
  return problems;
}

/** Slack gives every block without a block_id a generated one, and sends it back in payloads. */
export function withBlockIds(blocks: Block[]): Block[] {
  return blocks.map((b) => (b.block_id ? b : { ...b, block_id: randomUUID().slice(0, 5) }));
}
