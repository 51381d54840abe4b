import { describe, expect, it } from 'vitest';
import { classifySesError } from '../../shared/adapters/ses/ses-email-sender.ts';
import { EmailSendError } from '../../shared/email/send-error.ts';

/** An SDK-style service error: a name and the HTTP status of the response. */
function sesError(name: string, httpStatusCode?: number, message = 'Email address is not verified: a@example.com') {
  const error = new Error(message);
  error.name = name;
  return Object.assign(error, httpStatusCode === undefined ? {} : { $metadata: { httpStatusCode } });
}

describe('classifySesError: the SES adapter says how SES did not accept an email', () => {
  it('throttling and server errors are transient (a later attempt may succeed)', () => {
    for (const error of [
      sesError('TooManyRequestsException', 429),
      sesError('InternalFailure', 500),
      sesError('ServiceUnavailable', 503),
      sesError('LimitExceededException', 400),
      sesError('TooManyRequestsException', 400),
    ]) {
      expect(classifySesError(error).failure).toBe('transient');
    }
  });

  it('other refusals are permanent', () => {
    expect(classifySesError(sesError('MessageRejected', 400))).toMatchObject({
      failure: 'permanent',
      detail: 'MessageRejected (HTTP 400)',
    });
    expect(classifySesError(sesError('AccountSuspendedException', 403)).failure).toBe('permanent');
  });

  it('no response at all (timeout, reset) is an unknown outcome', () => {
    expect(classifySesError(sesError('TimeoutError'))).toMatchObject({ failure: 'unknown', detail: 'TimeoutError' });
    expect(classifySesError({ $metadata: {} }).failure).toBe('unknown');
    expect(classifySesError('socket hang up').detail).toBe('unknown error');
  });

  it('keeps only the name and status, never the message (it can quote the address)', () => {
    const classified = classifySesError(sesError('MessageRejected', 400));
    expect(JSON.stringify([classified.detail, classified.message])).not.toContain('@');
    expect(classifySesError(sesError('not a name: a@example.com', 400)).detail).toBe('unknown error (HTTP 400)');
  });
});

describe('EmailSendError.of: what the sender job makes of a rejection', () => {
  it('keeps a classified error as it is', () => {
    const classified = new EmailSendError('transient', 'TooManyRequestsException (HTTP 429)');
    expect(EmailSendError.of(classified)).toBe(classified);
  });

  it('takes any other rejection as an unknown outcome, named but not quoted', () => {
    const error = new Error('socket hang up while sending to a@example.com');
    error.name = 'TimeoutError';
    expect(EmailSendError.of(error)).toMatchObject({ failure: 'unknown', detail: 'TimeoutError' });
    expect(EmailSendError.of(Object.assign(new Error('x'), { $metadata: { httpStatusCode: 429 } })).failure).toBe(
      'unknown',
    );
  });
});
