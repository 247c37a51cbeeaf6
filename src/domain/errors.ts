// Errors say where they come from: a stable code, whether retrying can help, and the cause.
// `userMessage` is the one sentence an operator may see; the log gets the error with its stack.

export class SoloError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  readonly userMessage: string;

  constructor(
    code: string,
    userMessage: string,
    options: { cause?: unknown; retryable?: boolean; detail?: string } = {},
  ) {
    super(options.detail ?? userMessage, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.userMessage = userMessage;
  }
}

/** A setting is missing or wrong. Raised at start; the process prints the lines and exits. */
export class ConfigError extends SoloError {
  readonly problems: string[];
  constructor(problems: string[]) {
    super('config_invalid', problems.join('\n'));
    this.problems = problems;
  }
}

/** A store could not be reached or failed. */
export class StoreError extends SoloError {}

/** Input from a user or a client was not acceptable. Never retryable. */
export class InputError extends SoloError {
  constructor(userMessage: string) {
    super('bad_input', userMessage);
  }
}

export function describeError(err: unknown): string {
  if (err instanceof SoloError) return err.userMessage;
  if (err instanceof Error) return err.message;
  return String(err);
}
