import { isScimError, type ScimError } from '../scim/errors.js';
import { isAnsweredFailure } from './translate-error.js';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** First backoff; doubles per attempt, with full jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Time kept in reserve at the end of the deadline for answering the IdP. */
  reserveMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 3,
  baseDelayMs: 200,
  maxDelayMs: 5_000,
  reserveMs: 1_000,
};

/**
 * Whether a failed attempt may be repeated. A request the app never received (connection
 * refused, 429/503 "not now") is safe to repeat for any method; one the app may have processed
 * (reset mid-answer, 502, 504, timeout) only for operations the mapping marks safe to retry.
 */
export function isRetryable(
  error: ScimError,
  upstreamStatus: number | undefined,
  safeToRetry: boolean,
): boolean {
  // A 2xx an error rule calls a failure: the app answered, and may have applied part of it.
  if (isAnsweredFailure(error)) return false;
  if (upstreamStatus === 429 || upstreamStatus === 503) return true;
  if (upstreamStatus === undefined && error.status === 503) return true; // not delivered (refused)
  if (!safeToRetry) return false;
  return error.status === 502 || error.status === 504;
}

/** Full-jitter exponential backoff (AWS architecture blog), or the app's Retry-After when it sent one. */
export function retryDelayMs(
  policy: RetryPolicy,
  attempt: number,
  retryAfterSeconds: number | undefined,
): number {
  if (retryAfterSeconds !== undefined) return retryAfterSeconds * 1000;
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(Math.random() * ceiling);
}

export function asScimError(error: unknown): ScimError | undefined {
  return isScimError(error) ? error : undefined;
}
