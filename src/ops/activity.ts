import type { AuditRecord } from './audit.js';

/** One call to the app made for a provisioning operation (one attempt, when retried). */
export interface AppCallRecord {
  /** The mapped operation: `User.create`, `Group.addMember`. */
  operation: string;
  method: string;
  /** Path below the app's base URL, without the query string. */
  path: string;
  /** Undefined: no answer at all. */
  status: number | undefined;
  durationMs: number;
  /** 1 for the first attempt; more for retries. */
  attempt: number;
  /** Why it failed: the SCIM error it became, with the app's own message when it gave one. */
  detail?: string;
}

/**
 * A provisioning operation as the admin console shows it: its audit line, what the IdP sent and
 * was answered, and the calls to the app it became. Held in memory only.
 */
export interface ProvisioningActivity {
  /** When it was answered (ISO 8601). */
  time: string;
  audit: AuditRecord;
  method: string;
  /** The SCIM path, without the query string. */
  path: string;
  /** The query string (filters quote user names): only when personal data may be kept. */
  query?: string;
  clientProfile: string;
  /** For an error answer: its scimType and detail. */
  scimType?: string;
  detail?: string;
  /** The request body (passwords removed), only when personal data may be kept. */
  requestBody?: unknown;
  /** A body was sent but not kept (the log level keeps no personal data). */
  bodyRedacted: boolean;
  calls: AppCallRecord[];
  /** Calls beyond those kept (a PATCH of thousands of members). */
  callsOmitted: number;
}

/** Where the audit hooks hand each operation when the console is on. */
export interface ActivitySink {
  record(activity: ProvisioningActivity): void;
  /** Whether bodies and queries may be kept: the log level is debug or trace. */
  personalData(): boolean;
}

/** Calls kept per operation; a group PATCH can make thousands. */
export const MAX_CALLS_KEPT = 50;
/** Longest request body kept, as JSON text. */
export const MAX_BODY_CHARS = 32 * 1024;

/** A body fit for the console: every `password` removed, cut at {@link MAX_BODY_CHARS}. */
export function keptBody(body: unknown): unknown {
  const text = JSON.stringify(body, (key, value: unknown) =>
    key.toLowerCase() === 'password' ? '[removed]' : value,
  );
  if (text === undefined) return undefined;
  if (text.length > MAX_BODY_CHARS)
    return `${text.slice(0, MAX_BODY_CHARS)}… (cut at ${MAX_BODY_CHARS} characters)`;
  return JSON.parse(text) as unknown;
}
