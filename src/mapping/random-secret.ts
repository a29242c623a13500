import { randomInt } from 'node:crypto';

/**
 * Letters and digits without the ones people mistake for each other (I, O, l, 0, 1): a secret
 * may end up read aloud or typed from a screen.
 */
export const SECRET_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

export const DEFAULT_SECRET_LENGTH = 24;
/** A bound on what one expression may ask for, so a mapping typo cannot allocate gigabytes. */
const MAX_SECRET_LENGTH = 1024;

/**
 * `length` characters drawn from `alphabet` with the operating system's cryptographic random
 * source (randomInt is uniform: no modulo bias). JSONata's own `$random()` is Math.random, which
 * is predictable, so passwords nobody should know are made here.
 */
export function randomSecret(
  length: number = DEFAULT_SECRET_LENGTH,
  alphabet: string = SECRET_ALPHABET,
): string {
  if (!Number.isInteger(length) || length < 1 || length > MAX_SECRET_LENGTH)
    throw new Error(`$randomSecret: the length must be a whole number from 1 to ${MAX_SECRET_LENGTH}`);
  const characters = [...alphabet];
  if (characters.length < 2 || new Set(characters).size !== characters.length)
    throw new Error('$randomSecret: the alphabet needs at least two characters, each once');
  let secret = '';
  for (let i = 0; i < length; i++) secret += characters[randomInt(characters.length)];
  return secret;
}
