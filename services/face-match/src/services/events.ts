/**
 * Audit events are emitted durably after the change commits. If one cannot be stored the caller gets
 * 503: a change the audit log never hears of is worse than one to retry.
 */
export { eventBy as who, recordEvent as record } from '@parley/kit';
