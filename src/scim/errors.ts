/**
 * The SCIM error catalogue (RFC 7644 §3.12). Every error that leaves the SCIM scope is a
 * ScimError: its HTTP status and scimType are decided here, where it is created, not at the edge.
 */

/** RFC 7644 §3.12 Table 9, plus the statuses the adapter itself answers with. */
export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive';

export const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

export interface ScimErrorBody {
  schemas: [typeof SCIM_ERROR_SCHEMA];
  status: string;
  scimType?: ScimType;
  detail: string;
}

export class ScimError extends Error {
  readonly status: number;
  readonly scimType: ScimType | undefined;
  /** Seconds the client should wait before retrying (429/503). */
  readonly retryAfter: number | undefined;

  constructor(status: number, detail: string, scimType?: ScimType, retryAfter?: number) {
    super(detail);
    this.name = 'ScimError';
    this.status = status;
    this.scimType = scimType;
    this.retryAfter = retryAfter;
  }

  toBody(): ScimErrorBody {
    const body: ScimErrorBody = {
      schemas: [SCIM_ERROR_SCHEMA],
      status: String(this.status),
      detail: this.message,
    };
    if (this.scimType) body.scimType = this.scimType;
    return body;
  }
}

/** Constructors for every error the adapter answers with; the name says when to use it. */
export const scimErrors = {
  invalidFilter: (detail: string) => new ScimError(400, detail, 'invalidFilter'),
  invalidSyntax: (detail: string) => new ScimError(400, detail, 'invalidSyntax'),
  invalidPath: (detail: string) => new ScimError(400, detail, 'invalidPath'),
  noTarget: (detail: string) => new ScimError(400, detail, 'noTarget'),
  invalidValue: (detail: string) => new ScimError(400, detail, 'invalidValue'),
  mutability: (detail: string) => new ScimError(400, detail, 'mutability'),
  tooMany: (detail: string) => new ScimError(400, detail, 'tooMany'),
  invalidVersion: (detail: string) => new ScimError(400, detail, 'invalidVers'),
  unauthorized: (detail = 'Authentication required') => new ScimError(401, detail),
  forbidden: (detail: string) => new ScimError(403, detail),
  notFound: (detail: string) => new ScimError(404, detail),
  methodNotAllowed: (detail: string) => new ScimError(405, detail),
  uniqueness: (detail: string) => new ScimError(409, detail, 'uniqueness'),
  preconditionFailed: (detail: string) => new ScimError(412, detail),
  payloadTooLarge: (detail: string) => new ScimError(413, detail),
  unsupportedMediaType: (detail: string) => new ScimError(415, detail),
  tooManyRequests: (detail: string, retryAfter: number) => new ScimError(429, detail, undefined, retryAfter),
  internal: (detail: string) => new ScimError(500, detail),
  notImplemented: (detail: string) => new ScimError(501, detail),
  badGateway: (detail: string) => new ScimError(502, detail),
  unavailable: (detail: string, retryAfter?: number) => new ScimError(503, detail, undefined, retryAfter),
  gatewayTimeout: (detail: string) => new ScimError(504, detail),
} as const;

export function isScimError(error: unknown): error is ScimError {
  return error instanceof ScimError;
}
