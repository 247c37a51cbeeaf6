// How a failed Web API call is said: Slack's error code, whether trying again can help, and at start-up one
// sentence saying what to check.

import { webApi } from '@slack/bolt';
import { SoloError } from '../../../src/domain/errors.ts';
import { innermostReason } from '../shared/reason.ts';

const AUTH_ERRORS = new Set([
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'token_expired',
  'not_allowed_token_type',
]);
const TRANSIENT_ERRORS = new Set([
  'ratelimited',
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
]);

/** A Web API call that failed, with Slack's error code; retryable when waiting could help. */
export class SlackApiError extends SoloError {
  readonly method: string;
  readonly slackError: string | undefined;

  constructor(method: string, cause: unknown, sentence?: string, retryable?: boolean) {
    const slackError =
      cause instanceof webApi.WebAPIPlatformError
        ? cause.data.error
        : cause instanceof webApi.WebAPIRateLimitedError
          ? 'ratelimited'
          : undefined;
    const why = slackError ?? (cause instanceof Error ? cause.message : String(cause));
    const unreachable = cause instanceof webApi.WebAPIRequestError;
    super(
      slackError && AUTH_ERRORS.has(slackError)
        ? 'slack_unauthorized'
        : unreachable
          ? 'slack_unreachable'
          : 'slack_api',
      sentence ?? 'Slack did not accept a request; the details are in the log.',
      {
        cause,
        retryable:
          retryable ??
          (unreachable ||
            (slackError !== undefined && TRANSIENT_ERRORS.has(slackError)) ||
            (cause instanceof webApi.WebAPIHTTPError && cause.statusCode >= 500)),
        detail: sentence ?? `Slack ${method} failed: ${why}`,
      },
    );
    this.method = method;
    this.slackError = slackError;
  }
}

export interface Token {
  name: string;
  env: string;
}
export const BOT_TOKEN: Token = {
  name: 'bot token',
  env: 'SLACK_BOT_TOKEN (the xoxb- token under OAuth & Permissions)',
};
export const APP_TOKEN: Token = {
  name: 'app-level token',
  env: 'SLACK_APP_TOKEN (an xapp- token with connections:write)',
};

/**
 * One sentence saying why start() failed and what to check. Only a refused token is final; anything else (Slack
 * unreachable, a dropped WebSocket, an error Slack may not repeat) is worth another attempt later.
 */
export function startFailure(
  method: string,
  err: unknown,
  token: Token,
  apiUrl: string,
  timeoutMs: number,
): SlackApiError {
  if (err instanceof SlackApiError) return err;
  const slackError = err instanceof webApi.WebAPIPlatformError ? err.data.error : undefined;
  const refused = slackError !== undefined && AUTH_ERRORS.has(slackError);
  let sentence: string;
  if (refused) sentence = `Slack rejected the ${token.name} (${slackError}); check ${token.env}.`;
  else if (err instanceof webApi.WebAPIRequestError) {
    const timedOut = err.original.name === 'TimeoutError' || /due to timeout/.test(err.original.message);
    sentence = `Could not reach the Slack API at ${apiUrl} (${timedOut ? `no answer within ${timeoutMs / 1000} s` : innermostReason(err.original)}).`;
  } else if (err === undefined) sentence = 'Slack closed the Socket Mode connection before it was ready.';
  else sentence = `Slack ${method} failed while starting (${slackError ?? innermostReason(err)}).`;
  return new SlackApiError(method, err, sentence, !refused);
}
