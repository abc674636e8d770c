export { type CallInput, type ClientOptions, createClient, type ParleyClient } from './client.ts';
export { ParleyApiError } from './errors.ts';
