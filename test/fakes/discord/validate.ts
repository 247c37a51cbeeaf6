// Discord's checks on a message body (content length, components), answered the way Discord answers them:
// 400 with code 50035 "Invalid Form Body" and a nested `errors` object, or 50006 for an empty message.

import { apiError, fieldError } from './model.ts';

const MAX_CONTENT = 2000;
const MAX_ROWS = 5;
const MAX_BUTTONS_PER_ROW = 5;
const MAX_CUSTOM_ID = 100;
const MAX_LABEL = 80;

export interface MessageBody {
  content?: unknown;
  components?: unknown;
  embeds?: unknown;
  flags?: unknown;
}

type Problem = ReturnType<typeof apiError>;

const invalid = (path: string[], code: string, text: string): Problem =>
  apiError(50035, 'Invalid Form Body', fieldError(path, code, text));

/**
 * Returns Discord's error body for an unacceptable message, or undefined when it is fine. `create` demands something
 * to show: content, components, embeds, or files (`hasFiles`).
 */
export function checkMessage(body: MessageBody, create: boolean, hasFiles = false): Problem | undefined {
  const { content, components } = body;
  if (content !== undefined && content !== null) {
    if (typeof content !== 'string')
      return invalid(['content'], 'STRING_TYPE_CONVERT', 'Could not interpret as string.');
    // Discord counts characters (code points), not UTF-16 units.
    if ([...content].length > MAX_CONTENT)
      return invalid(['content'], 'BASE_TYPE_MAX_LENGTH', `Must be ${MAX_CONTENT} or fewer in length.`);
  }
  if (components !== undefined && components !== null) {
    const problem = checkComponents(components);
    if (problem) return problem;
  }
  const hasContent = typeof content === 'string' && content.length > 0;
  const hasComponents = Array.isArray(components) && components.length > 0;
  const hasEmbeds = Array.isArray(body.embeds) && body.embeds.length > 0;
  if (create && !hasContent && !hasComponents && !hasEmbeds && !hasFiles)
    return apiError(50006, 'Cannot send an empty message');
  return undefined;
}

function checkComponents(rows: unknown): Problem | undefined {
  if (!Array.isArray(rows)) return invalid(['components'], 'LIST_TYPE_CONVERT', 'Must be an array.');
  if (rows.length > MAX_ROWS)
    return invalid(['components'], 'BASE_TYPE_BAD_LENGTH', `Must be between 0 and ${MAX_ROWS} in length.`);
  const seen = new Set<string>();
  for (const [r, row] of rows.entries()) {
    const at = ['components', String(r)];
    const { type, components } = (row ?? {}) as { type?: unknown; components?: unknown };
    if (type !== 1)
      return invalid([...at, 'type'], 'COMPONENT_LAYOUT_WIDTH_EXCEEDED', 'Top-level components must be action rows.');
    if (!Array.isArray(components) || components.length === 0 || components.length > MAX_BUTTONS_PER_ROW) {
      return invalid(
        [...at, 'components'],
        'BASE_TYPE_BAD_LENGTH',
        `Must be between 1 and ${MAX_BUTTONS_PER_ROW} in length.`,
      );
    }
    for (const [b, button] of components.entries()) {
      const here = [...at, 'components', String(b)];
      const { type: kind, custom_id: customId, label, style } = (button ?? {}) as Record<string, unknown>;
      if (kind !== 2)
        return invalid([...here, 'type'], 'UNION_TYPE_CHOICES', 'Value of field "type" must be one of (2,).');
      if (typeof style !== 'number' || style < 1 || style > 5)
        return invalid([...here, 'style'], 'BASE_TYPE_CHOICES', 'Value must be one of {1, 2, 3, 4, 5}.');
      if (style !== 5) {
        if (typeof customId !== 'string' || customId.length === 0 || customId.length > MAX_CUSTOM_ID) {
          return invalid(
            [...here, 'custom_id'],
            'BASE_TYPE_BAD_LENGTH',
            `Must be between 1 and ${MAX_CUSTOM_ID} in length.`,
          );
        }
        if (seen.has(customId))
          return invalid(
            [...here, 'custom_id'],
            'COMPONENT_CUSTOM_ID_DUPLICATED',
            'Component custom id cannot be duplicated',
          );
        seen.add(customId);
      }
      if (label !== undefined && (typeof label !== 'string' || label.length > MAX_LABEL)) {
        return invalid([...here, 'label'], 'BASE_TYPE_MAX_LENGTH', `Must be ${MAX_LABEL} or fewer in length.`);
      }
    }
  }
  return undefined;
}

/** Application commands as PUT /applications/:id/commands accepts them (chat input commands only). */
export function checkCommands(commands: unknown): Problem | undefined {
  if (!Array.isArray(commands)) return invalid([], 'LIST_TYPE_CONVERT', 'Must be an array.');
  if (commands.length > 100) return invalid([], 'BASE_TYPE_MAX_LENGTH', 'Must be 100 or fewer in length.');
  const names = new Set<string>();
  for (const [i, command] of commands.entries()) {
    const { name, description, options } = (command ?? {}) as Record<string, unknown>;
    if (typeof name !== 'string' || !/^[-_\p{L}\p{N}]{1,32}$/u.test(name) || name !== name.toLowerCase()) {
      return invalid([String(i), 'name'], 'APPLICATION_COMMAND_INVALID_NAME', 'Command name is invalid');
    }
    if (names.has(name))
      return invalid(
        [String(i), 'name'],
        'APPLICATION_COMMANDS_DUPLICATE_NAME',
        'Application command names must be unique',
      );
    names.add(name);
    if (typeof description !== 'string' || description.length < 1 || description.length > 100) {
      return invalid([String(i), 'description'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.');
    }
    for (const [j, option] of (Array.isArray(options) ? options : []).entries()) {
      const o = (option ?? {}) as Record<string, unknown>;
      if (typeof o.name !== 'string' || !/^[-_\p{L}\p{N}]{1,32}$/u.test(o.name)) {
        return invalid(
          [String(i), 'options', String(j), 'name'],
          'APPLICATION_COMMAND_INVALID_NAME',
          'Command name is invalid',
        );
      }
      if (typeof o.description !== 'string' || o.description.length < 1 || o.description.length > 100) {
        return invalid(
          [String(i), 'options', String(j), 'description'],
          'BASE_TYPE_BAD_LENGTH',
          'Must be between 1 and 100 in length.',
        );
      }
    }
  }
  return undefined;
}
