import type { IncomingHttpHeaders } from 'node:http';

/** Which kind of SCIM client sent a request: its known quirks, and a label for metrics. */
export type ClientProfile = 'entra' | 'okta' | 'generic';

/** What the detection looks at: headers always; the query and the parsed body when known. */
export interface ClientHints {
  headers: IncomingHttpHeaders;
  query?: unknown;
  body?: unknown;
}

/** Microsoft's provisioning service names Azure AD / Entra / Microsoft in its User-Agent. */
const ENTRA_AGENT = /entra|azure|microsoft/i;
const OKTA_AGENT = /okta/i;
/** Entra's opt-in flag for RFC-compliant PATCH, appended to the Tenant URL by admins. */
const ENTRA_FLAG = /^aadoptscim\d+$/i;
/** Entra writes PATCH operations capitalised ("Replace"); RFC 7644 and Okta write "replace". */
const CAPITALISED_OP = /^(Add|Remove|Replace)$/;

/**
 * The client profile of a request: `okta` for Okta's User-Agent, `entra` when the User-Agent
 * or the request's shape says Microsoft Entra ID (its `aadOptscim…` Tenant URL flag, its
 * capitalised PATCH operations), `generic` otherwise. Never reads credentials or user data.
 */
export function clientProfile(request: ClientHints & { clientProfile?: ClientProfile }): ClientProfile {
  // Set by the SCIM scope from the configured profile (or an earlier detection).
  if (request.clientProfile) return request.clientProfile;
  const agent = request.headers['user-agent'] ?? '';
  if (OKTA_AGENT.test(agent)) return 'okta';
  if (ENTRA_AGENT.test(agent)) return 'entra';
  if (typeof request.query === 'object' && request.query !== null) {
    if (Object.keys(request.query).some((key) => ENTRA_FLAG.test(key))) return 'entra';
  }
  const operations = (request.body as { Operations?: unknown } | null | undefined)?.Operations;
  if (Array.isArray(operations)) {
    const capitalised = operations.some((o) => {
      // Only a string op: String() on a hostile object (`{"toString": 1}`) would throw.
      const op = typeof o === 'object' && o !== null ? (o as { op?: unknown }).op : undefined;
      return typeof op === 'string' && CAPITALISED_OP.test(op);
    });
    if (capitalised) return 'entra';
  }
  return 'generic';
}
