/**
 * What the passthrough answers when the app gives no answer: 502, or 504 for a timeout, with a
 * small fixed body. The cause (`connect ECONNREFUSED 10.0.3.7:8080`) names internal addresses
 * and ports, so it goes to the log only.
 */
export interface GatewayAnswer {
  status: 502 | 504;
  body: { error: string; message: string };
}

const TIMEOUT_CODES = new Set([
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'FST_REPLY_FROM_TIMEOUT',
  'FST_REPLY_FROM_GATEWAY_TIMEOUT',
]);

export function gatewayAnswer(error: unknown): GatewayAnswer {
  return causeCodes(error).some((code) => TIMEOUT_CODES.has(code))
    ? { status: 504, body: { error: 'Gateway Timeout', message: 'The app did not answer in time' } }
    : { status: 502, body: { error: 'Bad Gateway', message: 'The app did not answer' } };
}

/** The `code` of the error and of each error in its `cause` chain, for the operator's log. */
export function causeCodes(error: unknown): string[] {
  const codes: string[] = [];
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    current = current.cause;
  }
  return codes;
}
