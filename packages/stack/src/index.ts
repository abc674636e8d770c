export { type Stack, type StartStackOptions, startStack } from './stack.ts';
export { serviceEntries } from './services.ts';
