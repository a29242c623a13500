import type { CompiledLookup } from '../mapping/mapping-types.js';
import { scimErrors } from '../scim/errors.js';
import type { RequestContext } from './request-context.js';

/** Makes one lookup's call and reads its value out of the answer. */
export type LookupFetch = (lookup: CompiledLookup, context: RequestContext) => Promise<unknown>;

/**
 * The mapping's `lookups`, each asked of the app the first time a request needs it and kept for
 * as long as this mapping is in use (a reload starts afresh: the new mapping may ask otherwise).
 * Requests that need a value while its call is in flight wait for that call instead of making
 * their own. A failed lookup is not kept, so the next request that needs it asks again.
 */
export class LookupCache {
  private readonly values = new Map<string, Promise<unknown>>();

  constructor(
    private readonly lookups: ReadonlyMap<string, CompiledLookup>,
    private readonly fetch: LookupFetch,
  ) {}

  /** The values of `names`, by name; a failure is a 502 naming the lookup. */
  async valuesOf(context: RequestContext, names: readonly string[]): Promise<Record<string, unknown>> {
    const values = await Promise.all(names.map((name) => this.value(context, name)));
    const out: Record<string, unknown> = {};
    names.forEach((name, i) => {
      out[name] = values[i];
    });
    return out;
  }

  private value(context: RequestContext, name: string): Promise<unknown> {
    const known = this.values.get(name);
    if (known) return known;
    const lookup = this.lookups.get(name);
    if (!lookup) return Promise.reject(scimErrors.internal(`The mapping declares no lookup ${name}`));
    const pending = this.ask(lookup, context).catch((error: unknown) => {
      // Only this attempt is forgotten: a later one may already stand in its place.
      if (this.values.get(name) === pending) this.values.delete(name);
      throw error;
    });
    this.values.set(name, pending);
    return pending;
  }

  private async ask(lookup: CompiledLookup, context: RequestContext): Promise<unknown> {
    const where = `lookups.${lookup.name} in the mapping`;
    let value: unknown;
    try {
      value = await this.fetch(lookup, context);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw scimErrors.badGateway(`The app did not answer the lookup ${lookup.name} (${where}): ${reason}`);
    }
    if (value === undefined || value === null)
      throw scimErrors.badGateway(
        `The lookup ${lookup.name} found nothing in the app's answer (check the value expression of ${where})`,
      );
    return value;
  }
}
