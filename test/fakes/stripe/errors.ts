// Stripe's error bodies: `{ error: { type, code, message, param } }` with the status Stripe uses. A parameter
// error is raised before the endpoint runs, so the idempotency layer does not save it (Stripe's documented rule).

export interface StripeErrorBody {
  type: 'invalid_request_error' | 'api_error' | 'idempotency_error' | 'card_error';
  code?: string;
  message: string;
  param?: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly body: StripeErrorBody;
  /** True when raised before execution began (bad parameters): nothing is saved under the idempotency key. */
  readonly beforeExecution: boolean;
  constructor(status: number, body: StripeErrorBody, beforeExecution = false) {
    super(body.message);
    this.status = status;
    this.body = body;
    this.beforeExecution = beforeExecution;
  }
}

export const paramMissing = (param: string): ApiError =>
  new ApiError(
    400,
    { type: 'invalid_request_error', code: 'parameter_missing', message: `Missing required param: ${param}.`, param },
    true,
  );

export const paramInvalid = (param: string, message: string): ApiError =>
  new ApiError(400, { type: 'invalid_request_error', code: 'parameter_invalid_integer', message, param }, true);

export const paramUnknown = (param: string): ApiError =>
  new ApiError(
    400,
    {
      type: 'invalid_request_error',
      code: 'parameter_unknown',
      message: `Received unknown parameter: ${param}`,
      param,
    },
    true,
  );

/** An object named in the path does not exist (404), or one named in a parameter (400). */
export const noSuch = (kind: string, id: string, param?: string): ApiError =>
  new ApiError(
    param ? 400 : 404,
    {
      type: 'invalid_request_error',
      code: 'resource_missing',
      message: `No such ${kind}: '${id}'`,
      param: param ?? 'id',
    },
    param !== undefined,
  );

/** A request that is valid but not allowed in the object's state: raised while executing, so it is saved. */
export const stateError = (message: string, code?: string): ApiError =>
  new ApiError(400, { type: 'invalid_request_error', ...(code ? { code } : {}), message });
