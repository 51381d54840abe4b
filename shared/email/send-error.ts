/**
 * How an email provider did not accept an email, as its adapter classifies it (the EmailSender port's contract):
 * transient: refused for now (throttling, a server error): the same email may be tried again;
 * permanent: refused for good: no email exists and none will;
 * unknown: no answer (timeout, reset after the request left): the email may have gone out, so it is never resent.
 */
export type SendFailure = 'transient' | 'permanent' | 'unknown';

/**
 * What an EmailSender rejects with when the provider did not accept the email. `detail` is safe to store and show
 * (the error's name and HTTP status): a provider's message can quote the recipient address, so it is not kept, not
 * even as the `cause`.
 */
export class EmailSendError extends Error {
  override readonly name = 'EmailSendError';
  readonly failure: SendFailure;
  readonly detail: string;

  constructor(failure: SendFailure, detail: string) {
    super(`${failure}: ${detail}`);
    this.failure = failure;
    this.detail = detail;
  }

  /**
   * The classified error a sender rejected with; any other rejection (a sender that does not classify) is taken as
   * an unknown outcome: nothing says the email did not leave.
   */
  static of(error: unknown): EmailSendError {
    return error instanceof EmailSendError ? error : new EmailSendError('unknown', safeErrorName(error));
  }
}

/** An error's name when it is a plain identifier (SDK error names are); never its message. */
export function safeErrorName(error: unknown): string {
  return error instanceof Error && /^[A-Za-z0-9_.:-]{1,100}$/.test(error.name) ? error.name : 'unknown error';
}
