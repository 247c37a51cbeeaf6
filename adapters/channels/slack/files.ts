// Files into a Slack conversation (/export): the official client's filesUploadV2, which asks for an upload URL
// (files.getUploadURLExternal), posts the bytes there, then shares the file into the chat
// (files.completeUploadExternal with channel_id). The bot needs the files:write scope.

import { webApi } from '@slack/bolt';
import type { OutboundFile } from '../../../src/ports/channel.ts';
import { SlackApiError } from './errors.ts';

/** Slack's answers after which the same upload can never succeed, each said in one sentence for the operator. */
const REFUSALS: Record<string, (needed: string) => string> = {
  missing_scope: (needed) =>
    `Slack refused the file because the app lacks the ${needed} scope; add it under OAuth & Permissions and reinstall the app.`,
  file_uploads_disabled: () => 'Slack refused the file because this workspace has file uploads turned off.',
  file_uploads_except_images_disabled: () => 'Slack refused the file because this workspace only takes images.',
  file_upload_size_restricted: () => 'Slack refused the file because this workspace restricts large uploads.',
  file_type_not_allowed: () => 'Slack refused the file because this workspace does not allow its type.',
};

/** Uploads the file and shares it into the conversation; rejects with the client's own error. */
export async function uploadToChat(client: webApi.WebClient, chatId: string, file: OutboundFile): Promise<void> {
  await client.filesUploadV2({ channel_id: chatId, file: file.data, filename: file.name, title: file.name });
}

/** Why an upload failed for good, for the operator; undefined when the failure may pass (or is not a refusal). */
export function uploadRefusal(err: unknown): string | undefined {
  const cause = err instanceof SlackApiError ? err.cause : err;
  if (!(cause instanceof webApi.WebAPIPlatformError)) return undefined;
  const say = REFUSALS[cause.data.error];
  // missing_scope answers carry `needed` (and `provided`), which the client's result type does not declare.
  const { needed } = cause.data as { needed?: unknown };
  return say?.(typeof needed === 'string' && needed ? needed : 'files:write');
}
