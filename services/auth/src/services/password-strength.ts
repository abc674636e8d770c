import type { PasswordStrength } from '@parley/contracts';
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as en from '@zxcvbn-ts/language-en';
import { authError } from '../errors.ts';

export const MIN_SCORE = 3;
export const MIN_LENGTH = 8;
// zxcvbn's cost grows with length; anything past this many characters is strong by length alone.
const RATED_LENGTH = 100;

let factory: ZxcvbnFactory | undefined;
// Loading the dictionaries takes ~100 ms: once per process, on first use (or at start via warmUp).
const zxcvbn = (): ZxcvbnFactory => {
  factory ??= new ZxcvbnFactory({
    translations: en.translations,
    graphs: common.adjacencyGraphs,
    dictionary: { ...common.dictionary, ...en.dictionary },
    maxLength: RATED_LENGTH,
  });
  return factory;
};

export const warmUpStrength = (): void => void zxcvbn();

export interface StrengthInputs {
  name?: string | undefined;
  email?: string | undefined;
}

/** The person's own name and address parts make a password weaker, not stronger. */
const userInputs = ({ name, email }: StrengthInputs): string[] => {
  const inputs = new Set<string>();
  if (name) inputs.add(name.toLowerCase());
  if (email) {
    const lower = email.toLowerCase();
    inputs.add(lower);
    for (const part of lower.split(/[@.+_-]/)) if (part.length >= 3) inputs.add(part);
  }
  return [...inputs];
};

/** The one rule: acceptable iff zxcvbn scores it 3 or 4 and it has at least 8 characters. */
export const rateStrength = (password: string, inputs: StrengthInputs = {}): PasswordStrength => {
  const result = zxcvbn().check(password.slice(0, RATED_LENGTH), userInputs(inputs));
  const length = [...password].length;
  const feedback = { warning: result.feedback.warning ?? null, suggestions: [...result.feedback.suggestions] };
  if (length < MIN_LENGTH) feedback.suggestions.unshift(`Use at least ${MIN_LENGTH} characters.`);
  return { score: result.score, acceptable: result.score >= MIN_SCORE && length >= MIN_LENGTH, feedback };
};

export const assertStrongPassword = (password: string, inputs: StrengthInputs): void => {
  const rating = rateStrength(password, inputs);
  if (!rating.acceptable) {
    throw authError('WEAK_PASSWORD', 'The password is too easy to guess', {
      strength: rating.score,
      feedback: rating.feedback,
    });
  }
};
