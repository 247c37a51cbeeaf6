// How a failed Bot API call is said: Telegram's code and description, and whether trying again can help.

import { GrammyError, HttpError } from 'grammy';
import { SoloError } from '../../../src/domain/errors.ts';
import { innermostReason } from '../shared/reason.ts';

/** A Bot API call that failed, with Telegram's code and description; retryable when Telegram said so. */
export class TelegramApiError extends SoloError {
  readonly method: string;
  readonly status: number | undefined;

  constructor(method: string, cause: unknown) {
    const status = cause instanceof GrammyError ? cause.error_code : undefined;
    const why = cause instanceof GrammyError ? `${cause.error_code} ${cause.description}` : innermostReason(cause);
    const detail =
      status === 401
        ? `Telegram rejected the bot token in ${method} (${why}); check TELEGRAM_BOT_TOKEN`
        : cause instanceof HttpError
          ? `Telegram did not answer ${method} (${why})`
          : `Telegram ${method} failed: ${why}`;
    // 409: another instance polls, or a webhook is set; that can end, so it is worth trying again later.
    super(
      status === 401 ? 'telegram_unauthorized' : 'telegram_api',
      'Telegram did not accept a request; the details are in the log.',
      {
        cause,
        retryable: cause instanceof HttpError || status === 429 || status === 409 || (status ?? 0) >= 500,
        detail,
      },
    );
    this.method = method;
    this.status = status;
  }
}
