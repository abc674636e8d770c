import type { FastifyReply } from 'fastify';

/** The document's only shape: `{message, status}`, status "OK" or "ERROR". */
export interface Envelope {
  message: string;
  status: 'OK' | 'ERROR';
}

/** Every message the document writes, as written (including "User doesn't exist" without its period). */
export const Messages = {
  argumentsMismatch: 'Arguments mismatch.',
  captchaSent: 'Send captcha success.',
  confirmEmailSent: 'Send confirm email success.',
  emailUsed: 'This email has been used.',
  captchaWrong: 'The captcha is not correct.',
  userConfirmed: 'This user has been confirmed.',
  verificationFailed: 'Verification failed.',
  verificationSuccess: 'Verification success.',
  userMissing: "User doesn't exist",
  logoutSuccess: 'Logout success.',
  fileSent: 'Send file successfully.',
  fileFailed: 'Send file failed.',
  fileMissing: 'File does not exist.',
  methodMismatch: 'Method mismatch.',
  // Parley's own, for answers the document does not have (docs/compat/captcha.md lists them).
  nameUsed: 'This name has been used.',
  nameInvalid: 'The name is not valid: 2 to 32 letters, digits, "_", "." or "-".',
  emailInvalid: 'The email is not valid.',
  passwordWeak: 'The password is too weak.',
  passwordInvalid: 'The password is not valid: at most 256 characters.',
  notFound: 'Not found.',
  rangeNotSatisfiable: 'The range is outside the file.',
  unavailable: 'Service unavailable.',
  serverError: 'Server error.',
} as const;

export const ok = (message: string): Envelope => ({ message, status: 'OK' });
export const error = (message: string): Envelope => ({ message, status: 'ERROR' });

/** Answers an envelope; the document gives no HTTP statuses, so its answers are 200 unless told otherwise. */
export const answer = (reply: FastifyReply, body: Envelope, httpStatus = 200): FastifyReply =>
  reply.code(httpStatus).type('application/json; charset=utf-8').send(body);

/**
 * A refusal the handlers throw to end a request with one of the document's answers (the error handler sends it),
 * so a refusal deep in the upload pipeline leaves the same way as one in a handler.
 */
export class Refusal extends Error {
  constructor(
    readonly body: Envelope,
    readonly httpStatus = 200,
  ) {
    super(body.message);
    this.name = 'Refusal';
  }
}

export const refuse = (message: string, httpStatus = 200): Refusal => new Refusal(error(message), httpStatus);
