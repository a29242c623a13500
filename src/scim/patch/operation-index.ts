import { isScimError, ScimError } from '../errors.js';

/**
 * Runs `run` and prefixes any ScimError it throws with `Operations[index]`, so a client sending
 * many operations can tell which one was refused. Status and scimType are kept.
 */
export function withOperationIndex<T>(index: number, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (!isScimError(error)) throw error;
    throw new ScimError(error.status, `Operations[${index}]: ${error.message}`, error.scimType);
  }
}
