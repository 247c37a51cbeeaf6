// src/ports/connector.ts
// What every connector (mail, calendar, payments) has in common: a name, a health line, effect options, errors.

import { SoloError } from '../domain/errors.ts';

export interface ConnectorHealth {
  connector: string;
  state: 'ok' | 'down' | 'misconfigured';
  /** One line for /status, e.g. "IMAP ops@example.com at mail.example.com: ok (42 ms)". No secrets. */
  detail: string;
}

/** Every effectful call carries the workflow step's key, stable across retries and restarts. */
export interface EffectOptions {
  idempotencyKey: string;
  signal?: AbortSignal;
}

export interface Connector {
  readonly name: string;
  health(): Promise<ConnectorHealth>;
  close(): Promise<void>;
}

/** A connector call failed. `retryable` says whether trying again later can help. */
export class ConnectorError extends SoloError {
  readonly connector: string;
  constructor(
    connector: string,
    code: string,
    userMessage: string,
    options: { cause?: unknown; retryable?: boolean; detail?: string } = {},
  ) {
    super(code, userMessage, options);
    this.connector = connector;
  }
}
