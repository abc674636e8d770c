export { serviceEntries } from './services.ts';
export { type Stack, type StartStackOptions, startStack } from './stack.ts';
