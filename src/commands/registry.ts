// Slash commands and button actions, registered by name. /help and every platform's command menu are generated
// from this registry. Commands come in families (src/commands/<family>.ts), each made by a factory that takes the
// narrow ports and services the family needs.

import type { InboundContext } from '../inbound/context.ts';

export interface Command {
  name: string;
  /** Argument synopsis for /help, e.g. "<text>". */
  usage?: string;
  description: string;
  run(ctx: InboundContext, args: string): Promise<void>;
}

/** A button's `data` is `<action>:<argument>`; the action's handler gets the argument. */
export interface Action {
  name: string;
  run(ctx: InboundContext, arg: string): Promise<void>;
}

/** Gets first look at free text (e.g. the reply to an Edit button); returns true when it took the message. */
export type TextHandler = (ctx: InboundContext, text: string) => Promise<boolean>;

/** What one file of commands contributes: its commands, the button actions they offer, and text handlers. */
export interface CommandFamily {
  commands?: Command[];
  actions?: Action[];
  /** Get first look at free text, in registration order. */
  text?: TextHandler[];
}

export class Registry {
  readonly #commands = new Map<string, Command>();
  readonly #actions = new Map<string, Action>();
  readonly #textHandlers: TextHandler[] = [];

  /** Registers a family; a name used twice is an error at start, not a silent override. */
  add(family: CommandFamily): this {
    for (const c of family.commands ?? []) this.command(c);
    for (const a of family.actions ?? []) this.action(a);
    for (const t of family.text ?? []) this.text(t);
    return this;
  }

  command(command: Command): this {
    if (this.#commands.has(command.name)) throw new Error(`command /${command.name} is registered twice`);
    this.#commands.set(command.name, command);
    return this;
  }

  action(action: Action): this {
    if (this.#actions.has(action.name)) throw new Error(`action ${action.name} is registered twice`);
    this.#actions.set(action.name, action);
    return this;
  }

  text(handler: TextHandler): this {
    this.#textHandlers.push(handler);
    return this;
  }

  textHandlers(): readonly TextHandler[] {
    return this.#textHandlers;
  }

  findCommand(name: string): Command | undefined {
    return this.#commands.get(name);
  }

  /** Resolves button data to its action and argument, or undefined when no action of that name exists. */
  findAction(data: string): { action: Action; arg: string } | undefined {
    const colon = data.indexOf(':');
    const name = colon === -1 ? data : data.slice(0, colon);
    const action = this.#actions.get(name);
    return action ? { action, arg: colon === -1 ? '' : data.slice(colon + 1) } : undefined;
  }

  commands(): Command[] {
    return [...this.#commands.values()];
  }

  /** This registry's contents as a family, for a file that builds its commands with the chaining methods. */
  family(): CommandFamily {
    return { commands: this.commands(), actions: [...this.#actions.values()], text: [...this.#textHandlers] };
  }
}
