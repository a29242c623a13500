import type { UpstreamObserver } from './connector.js';

/** What a request reports to its audit line while it runs; the HTTP layer creates one per request. */
export interface RequestRecorder {
  /** Told of every call to the app made for this request. */
  readonly upstreamCall: UpstreamObserver;
  /** Told of the attributes a write carried that the mapping cannot store (names, never values). */
  readonly droppedAttributes: (names: readonly string[]) => void;
  /** Told the app id of the resource the request works on, once the id map has named it. */
  readonly resource: (appId: string) => void;
}

/**
 * What one SCIM request hands down to every call it makes to the app: the time by which it must
 * be answered and, when the audit trail is on, where its calls are recorded. Created once per
 * request by the HTTP layer and passed explicitly, never through async context (on Node 20 that
 * turns on promise hooks, which slow every promise in the process).
 */
export interface RequestContext {
  /**
   * When the request must be answered (epoch ms). Entra waits about 60 s for a SCIM answer;
   * every call to the app, its retries and its queueing fit inside this deadline, so the adapter
   * answers (with a clear error if it must) before the IdP gives up. Infinity: no deadline.
   */
  readonly deadline: number;
  /** Told of every call to the app made for this request (the audit trail); absent: nobody. */
  readonly onUpstreamCall?: UpstreamObserver;
  /** Told of the attributes a write accepted but cannot store (the audit trail); absent: nobody. */
  readonly onDroppedAttributes?: (names: readonly string[]) => void;
  /** Told the app id of the resource the request works on (the audit trail); absent: nobody. */
  readonly onResource?: (appId: string) => void;
}

/** The context of a request that must be answered within `deadlineMs` from now. */
export function requestContext(deadlineMs: number, recorder?: RequestRecorder): RequestContext {
  const deadline = Date.now() + deadlineMs;
  if (!recorder) return { deadline };
  return {
    deadline,
    onUpstreamCall: recorder.upstreamCall,
    onDroppedAttributes: recorder.droppedAttributes,
    onResource: recorder.resource,
  };
}

const OUTSIDE_REQUEST: RequestContext = Object.freeze({ deadline: Number.POSITIVE_INFINITY });

/** For calls made outside any SCIM request (CLI, start-up checks): no deadline, nothing recorded. */
export function outsideRequest(): RequestContext {
  return OUTSIDE_REQUEST;
}

/** Milliseconds left before the request's deadline (Infinity without one). */
export function remainingMs(context: RequestContext): number {
  return context.deadline - Date.now();
}
