// Slack channel (Bolt). Options and the settings they come from (validated in src/config.ts, wired in
// src/compose/channels.ts; SLACK_EVENTS_PATH/SLACK_PORT/SLACK_HOST are not exposed yet: HTTP mode mounts on the
// web chat's server):
//   SLACK_BOT_TOKEN       → botToken       (required; xoxb-…, scopes chat:write, im:history, commands, files:write)
//   SLACK_APP_TOKEN       → appToken       (xapp-… with connections:write; when set: Socket Mode, nothing exposed)
//   SLACK_SIGNING_SECRET  → signingSecret  (without an app token: HTTP events, every request signature-checked)
//   SLACK_EVENTS_PATH     → eventsPath     (HTTP mode; default /slack/events)
//   SLACK_PORT, SLACK_HOST → port, host    (HTTP mode, optional: a server of its own, host default 127.0.0.1; without
//                                            a port, mount channel.eventsCallback() at eventsPath on the web chat's server)
//   SLACK_API_URL         → apiUrl         (optional; default https://slack.com/api/, keep the trailing slash)
//   SLACK_COMMAND         → command        (optional; the app's slash command, default /solo)
// One of SLACK_APP_TOKEN and SLACK_SIGNING_SECRET is needed. The Slack app subscribes to the message.im event and
// has Interactivity on. The operator's Slack member ids (U…; SLACK_OPERATOR_IDS, like the other platforms) are the
// identities to seed, channel 'slack'.

export { DEFAULT_EVENTS_PATH, SlackApiError, SlackChannel } from './slack-channel.ts';
