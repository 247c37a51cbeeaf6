// Telegram channel (grammY). Environment, for the lead's config wiring (no zod here on purpose):
//   TELEGRAM_BOT_TOKEN       → token            (required; from @BotFather)
//   TELEGRAM_API_ROOT        → apiRoot          (optional; default https://api.telegram.org, no trailing slash)
//   TELEGRAM_WEBHOOK_PATH    → webhook.path     (optional; set it, with the secret, to use a webhook instead of polling)
//   TELEGRAM_WEBHOOK_SECRET  → webhook.secretToken (required with the path; 1–256 of A–Z a–z 0–9 _ -)
//   TELEGRAM_WEBHOOK_URL     → webhook.url      (optional; public https URL of the path, registered with setWebhook)
// The operator's Telegram user id (a number, as a string) is the identity to seed: channel 'telegram'.

export { TelegramChannel } from './telegram-channel.ts';
