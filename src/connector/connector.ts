import { setTimeout as sleep } from 'node:timers/promises';
import type { Expression } from '../mapping/expression.js';
import type {
  CompiledErrorRule,
  CompiledLookup,
  CompiledMapping,
  CompiledOperation,
  CompiledResourceMapping,
  OperationName,
  ResourceTypeName,
} from '../mapping/mapping-types.js';
import { ScimError, scimErrors } from '../scim/errors.js';
import { ConcurrencyGate } from './concurrency-gate.js';
import { answerBindings, followLink, type ListPage, nextOf } from './list-walk.js';
import { LookupCache } from './lookup-cache.js';
import { type RenderInput, renderRequest } from './render-request.js';
import { type RequestContext, remainingMs } from './request-context.js';
import { DEFAULT_RETRY_POLICY, isRetryable, type RetryPolicy, retryDelayMs } from './retry-policy.js';
import { translateUpstreamError } from './translate-error.js';
import { transportFailure } from './transport-errors.js';
import type { UpstreamClient, UpstreamRequest, UpstreamResponse } from './upstream-client.js';

export interface OperationOutcome {
  response: UpstreamResponse;
  /** What the operation's `response` expression picked out of the body (the body itself without one). */
  result: unknown;
}

export type { ListPage };

/**
 * An operation, a sub-read of one (`get.members`: the sub-read `members` of `get`) or a follow-up
 * call of one (`deactivate.then[0]`: the first call made after `deactivate`).
 */
export type CallName = OperationName | `${OperationName}.${string}`;

/** `deactivate.then[1]` → the operation and the follow-up's index. */
export function followUpOf(name: CallName): { parent: OperationName; index: number } | undefined {
  const match = /^(\w+)\.then\[(\d+)\]$/.exec(name);
  return match ? { parent: match[1] as OperationName, index: Number(match[2]) } : undefined;
}

/**
 * Extra inputs for a call: a filter push-down adds query parameters (replacing the call's own of
 * the same name) or replaces the path, and names the lookups its parameters use; a next page
 * link replaces path and query.
 */
export interface CallOptions {
  extraQuery?: Array<[string, Expression]>;
  pathOverride?: string;
  link?: string;
  lookups?: readonly string[];
}

/** One call to the app (one attempt, when retried). */
export interface UpstreamCallEvent {
  resourceType: ResourceTypeName | 'app';
  operation: string;
  /** Undefined: no answer at all. */
  status: number | undefined;
  durationMs: number;
  attempt?: number;
  /** The request as sent: method and path below the base URL (no query string: it may hold filter values). */
  method?: string;
  path?: string;
  /** Why the attempt failed, as the SCIM error says it (the app's message, when it gave one). */
  detail?: string;
}

/** Observes every call to the app (metrics, audit, logs). */
export type UpstreamObserver = (event: UpstreamCallEvent) => void;

/** How calls to the app are limited and retried. */
export interface Resilience {
  /** Most calls in flight to the app at once. */
  concurrency: number;
  /** Most calls waiting for a slot; beyond that, 503 at once. */
  maxQueue: number;
  retry: RetryPolicy;
}

export const DEFAULT_RESILIENCE: Resilience = { concurrency: 16, maxQueue: 256, retry: DEFAULT_RETRY_POLICY };

function needsBody(operation: CompiledOperation): boolean {
  return (
    operation.response !== undefined ||
    operation.items !== undefined ||
    operation.name === 'list' ||
    operation.name === 'get'
  );
}

/** An attempt needs at least this long to be worth starting. */
const MIN_ATTEMPT_MS = 250;

/**
 * Runs the mapping's operations against the app: render the request from the mapping, send it,
 * translate failures into SCIM errors, pick the record out of the answer.
 */
export class Connector {
  /** The mapping's lookups, made once; a connector per mapping, so a reload asks again. */
  private readonly lookups: LookupCache;

  constructor(
    readonly mapping: CompiledMapping,
    readonly client: UpstreamClient,
    private readonly observe: UpstreamObserver = () => {},
    private readonly resilience: Resilience = DEFAULT_RESILIENCE,
    private readonly gate = new ConcurrencyGate(resilience.concurrency, resilience.maxQueue),
  ) {
    this.lookups = new LookupCache(mapping.lookups, (lookup, context) => this.fetchLookup(lookup, context));
  }

  /**
   * A connector for a reloaded mapping (and possibly a new client or retry policy) that shares
   * this one's limit on calls to the app, so a reload never lets more calls through at once.
   */
  derive(mapping: CompiledMapping, client: UpstreamClient, retry: RetryPolicy): Connector {
    return new Connector(mapping, client, this.observe, { ...this.resilience, retry }, this.gate);
  }

  /** Whether a connector with these limits could share this one's gate. */
  hasLimits(limits: Pick<Resilience, 'concurrency' | 'maxQueue'>): boolean {
    return limits.concurrency === this.resilience.concurrency && limits.maxQueue === this.resilience.maxQueue;
  }

  /** Calls in flight and waiting toward the app. */
  get load(): { active: number; queued: number } {
    return this.gate.stats;
  }

  resource(type: ResourceTypeName): CompiledResourceMapping {
    const resource = this.mapping.resources[type];
    if (!resource) throw scimErrors.notFound(`This app does not provision ${type}s`);
    return resource;
  }

  operation(type: ResourceTypeName, name: OperationName): CompiledOperation | undefined {
    return this.resource(type).operations[name];
  }

  /**
   * The request a call would send, without sending it (dry-run, tests). Lookups are not made:
   * each one used shows as `{lookups.<name>}`.
   */
  async render(
    type: ResourceTypeName,
    name: CallName,
    input: RenderInput,
    options: CallOptions = {},
  ): Promise<UpstreamRequest> {
    const operation = this.requireOperation(type, name);
    const names = lookupsOf(operation, options);
    const bindings =
      names.length === 0
        ? undefined
        : { lookups: Object.fromEntries(names.map((lookup) => [lookup, `{lookups.${lookup}}`])) };
    return renderRequest(operation, input, options.extraQuery, options.pathOverride, bindings);
  }

  /** The lookups a call uses, with the call each is made with (dry-run says so). */
  lookupsUsedBy(type: ResourceTypeName, name: CallName, options: CallOptions = {}): CompiledLookup[] {
    return lookupsOf(this.requireOperation(type, name), options).flatMap(
      (lookup) => this.mapping.lookups.get(lookup) ?? [],
    );
  }

  /**
   * One operation against the app, retried where that is safe, all within the request's
   * deadline; every attempt is reported to the observer and to the request's own.
   */
  async call(
    context: RequestContext,
    type: ResourceTypeName,
    name: CallName,
    input: RenderInput,
    options: CallOptions = {},
  ): Promise<OperationOutcome> {
    const operation = this.requireOperation(type, name);
    const label = `${type}.${name}`;
    const names = lookupsOf(operation, options);
    // Lookups first: a request whose lookup fails is never sent with a value missing.
    const bindings =
      names.length === 0 ? undefined : { lookups: await this.lookups.valuesOf(context, names) };
    const rendered = await renderRequest(
      operation,
      input,
      options.extraQuery,
      options.pathOverride,
      bindings,
    );
    const request = options.link ? followLink(rendered, options.link, this.client.baseUrl, label) : rendered;
    const rules = [...this.resource(type).errors, ...this.mapping.errors];
    return this.send(context, operation, request, rules, { resourceType: type, name });
  }

  /** A lookup's call: its answer through the app-wide error rules, its value read by `value`. */
  private async fetchLookup(lookup: CompiledLookup, context: RequestContext): Promise<unknown> {
    const request = await renderRequest(lookup.operation, {});
    const { response } = await this.send(context, lookup.operation, request, this.mapping.errors, {
      resourceType: 'app',
      name: lookup.operation.name,
    });
    if (response.unparsable)
      throw scimErrors.badGateway(`The app answered ${lookup.operation.name} with a body that is not JSON`);
    return lookup.value.evaluate(response.body, { status: response.status, headers: response.headers });
  }

  /**
   * Sends a rendered request, retried where that is safe, all within the request's deadline;
   * every attempt is reported to the observer and to the request's own.
   */
  private async send(
    context: RequestContext,
    operation: CompiledOperation,
    request: UpstreamRequest,
    rules: CompiledErrorRule[],
    caller: { resourceType: ResourceTypeName | 'app'; name: string },
  ): Promise<OperationOutcome> {
    const label = caller.resourceType === 'app' ? caller.name : `${caller.resourceType}.${caller.name}`;
    const policy = this.resilience.retry;
    for (let attempt = 1; ; attempt++) {
      const timeLeft = remainingMs(context) - policy.reserveMs;
      if (timeLeft <= 0) {
        throw scimErrors.unavailable(`The app did not complete ${label} within the request deadline`, 30);
      }
      let status: number | undefined;
      let failure: ScimError | undefined;
      const started = performance.now();
      let admitted = false;
      try {
        const response = await this.gate.run(timeLeft, () => {
          admitted = true;
          return this.client.send(request, timeLeft);
        });
        status = response.status;
        const error = await translateUpstreamError(response, rules, label);
        // A truncated or HTML answer to a call whose body is needed is a transient fault: retried
        // like a 502 where the operation is safe to repeat.
        if (!error && response.unparsable && needsBody(operation)) {
          failure = scimErrors.badGateway(`The app answered ${label} with a body that is not JSON`);
        } else if (!error) {
          return await this.outcome(operation, response, label);
        } else {
          failure = error;
        }
      } catch (error) {
        failure = transportFailure(error, request.method, request.path);
      } finally {
        const event: UpstreamCallEvent = {
          resourceType: caller.resourceType,
          operation: caller.name,
          status,
          durationMs: performance.now() - started,
          attempt,
          method: request.method,
          path: request.path,
        };
        if (failure) event.detail = failure.message;
        context.onUpstreamCall?.(event);
        this.observe(event);
      }
      // Waiting for a slot timed out or the queue was full: retrying would only add load.
      if (!admitted || attempt >= policy.maxAttempts || !isRetryable(failure, status, operation.retry))
        throw failure;
      const notNow = status === 429 || status === 503;
      const delay = retryDelayMs(policy, attempt, notNow ? failure.retryAfter : undefined);
      if (delay >= remainingMs(context) - policy.reserveMs - MIN_ATTEMPT_MS) {
        // The app asked for more time than the IdP will wait: pass its Retry-After on.
        if (notNow)
          throw new ScimError(
            status === 429 ? 429 : 503,
            failure.message,
            undefined,
            Math.ceil(delay / 1000) || 1,
          );
        throw failure;
      }
      await sleep(delay);
    }
  }

  private async outcome(
    operation: CompiledOperation,
    response: UpstreamResponse,
    label: string,
  ): Promise<OperationOutcome> {
    if (response.unparsable && operation.response) {
      throw scimErrors.badGateway(`The app answered ${label} with a body that is not JSON`);
    }
    const result = operation.response
      ? await operation.response.evaluate(response.body, {
          status: response.status,
          headers: response.headers,
        })
      : response.body;
    return { response, result };
  }

  /**
   * One page of a list-like call (`list`, or a sub-read): the items, the total if the app reports
   * it, and the next page's link or cursor. `items` and `total` read the body, with the answer's
   * `$status`, `$headers` and `$links` bound (totals in `X-Total-Count`).
   */
  async listPage(
    context: RequestContext,
    type: ResourceTypeName,
    input: RenderInput,
    options: CallOptions = {},
    name: CallName = 'list',
  ): Promise<ListPage> {
    const operation = this.requireOperation(type, name);
    const { response, result } = await this.call(context, type, name, input, options);
    // An unreadable page must not pass for "no results": the IdP would create a duplicate.
    if (response.unparsable)
      throw scimErrors.badGateway(`The app answered ${type}.${name} with a body that is not JSON`);
    const bindings = answerBindings(response);
    const items = operation.items ? await operation.items.evaluate(response.body, bindings) : result;
    const total = operation.total ? await operation.total.evaluate(response.body, bindings) : undefined;
    return {
      items: Array.isArray(items) ? items : items === undefined || items === null ? [] : [items],
      total: asCount(total),
      next: await nextOf(operation, response),
    };
  }

  /**
   * For /readyz: the mapping's health call, or any HTTP answer from the base URL. It waits for a
   * slot like every other call, so health checks never add to the load on the app beyond the
   * concurrency limit; a check that gets no slot within `maxWaitMs` reports not ready.
   */
  async checkHealth(maxWaitMs = 5_000): Promise<{ ok: boolean; status?: number; detail?: string }> {
    const health = this.mapping.health;
    const started = performance.now();
    try {
      const request = health
        ? await renderRequest(health, {})
        : { method: 'GET' as const, path: '/', query: [], headers: {}, body: undefined };
      const response = await this.gate.run(maxWaitMs, () => this.client.send(request));
      this.observe({
        resourceType: 'app',
        operation: 'health',
        status: response.status,
        durationMs: performance.now() - started,
      });
      const ok = health ? response.status >= 200 && response.status < 300 : response.status < 500;
      return { ok, status: response.status };
    } catch (error) {
      return { ok: false, detail: error instanceof Error ? error.message : 'unreachable' };
    }
  }

  /** The compiled operation (or sub-read) a call name stands for; 501 when the mapping has none. */
  operationFor(type: ResourceTypeName, name: CallName): CompiledOperation {
    return this.requireOperation(type, name);
  }

  private requireOperation(type: ResourceTypeName, name: CallName): CompiledOperation {
    const followUp = followUpOf(name);
    const [parent, subRead] = name.split('.') as [OperationName, string | undefined];
    const operation = followUp
      ? this.operation(type, followUp.parent)?.followUps[followUp.index]
      : subRead === undefined
        ? this.operation(type, parent)
        : this.operation(type, parent)?.subReads.find((s) => s.field === subRead)?.operation;
    if (!operation) throw scimErrors.notImplemented(`The mapping declares no ${name} operation for ${type}`);
    return operation;
  }
}

/** The lookups a call's own expressions and a push-down's parameters use, each once. */
function lookupsOf(operation: CompiledOperation, options: CallOptions): readonly string[] {
  if (!options.lookups?.length) return operation.lookups;
  return [...new Set([...operation.lookups, ...options.lookups])];
}

/** A total as the app reports it: a number, or its text (headers: `X-Total-Count: 42`). */
function asCount(value: unknown): number | undefined {
  const count = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  return typeof count === 'number' && Number.isFinite(count) ? count : undefined;
}
