import type { UpstreamClient } from '../connector/upstream-client.js';
import type { ResourceOperations } from '../http/resource-routes.js';
import type { ResourceTypeName } from '../mapping/mapping-types.js';
import { scimErrors } from '../scim/errors.js';
import type { ResourceService } from '../service/resource-service.js';
import type { Generation } from './generation.js';

/** Time given to a replaced client beyond the request deadline before it is closed. */
const RETIRE_MARGIN_MS = 5_000;

/**
 * Holds the current generation. SCIM routes read it per request, so a reload changes what new
 * requests use while the requests already running finish on the generation they started with.
 */
export class RuntimeHolder {
  private generation: Generation;
  private readonly retiring = new Map<UpstreamClient, NodeJS.Timeout>();

  constructor(initial: Generation) {
    this.generation = initial;
  }

  get current(): Generation {
    return this.generation;
  }

  /**
   * Makes `next` current. A client it no longer uses is closed once every request that may still
   * use it has ended: each is answered within the request deadline, so that long after now.
   */
  swap(next: Generation): void {
    const previous = this.generation;
    this.generation = next;
    if (previous.client === next.client) return;
    const graceMs =
      Math.max(previous.config.server.requestDeadlineMs, next.config.server.requestDeadlineMs) +
      RETIRE_MARGIN_MS;
    const client = previous.client;
    const timer = setTimeout(() => {
      this.retiring.delete(client);
      void client.close().catch(() => undefined);
    }, graceMs);
    timer.unref();
    this.retiring.set(client, timer);
  }

  /** Closes the current client and any replaced one not closed yet. */
  async close(): Promise<void> {
    const clients = [this.generation.client, ...this.retiring.keys()];
    for (const timer of this.retiring.values()) clearTimeout(timer);
    this.retiring.clear();
    await Promise.all(clients.map((client) => client.close()));
  }

  /**
   * Route targets for every resource type: each call goes to the service of the generation
   * current at that moment (one call per request, so one generation per request). A type the
   * current mapping does not provision answers 404.
   */
  liveServices(): Record<ResourceTypeName, ResourceOperations> {
    const serviceOf = (type: ResourceTypeName): ResourceService => {
      const service = this.generation.services[type];
      if (!service) throw scimErrors.notFound(`This app does not provision ${type}s`);
      return service;
    };
    const live = (type: ResourceTypeName): ResourceOperations => ({
      type,
      create: (context, body, options) => serviceOf(type).create(context, body, options),
      query: (context, request, options) => serviceOf(type).query(context, request, options),
      get: (context, id, options) => serviceOf(type).get(context, id, options),
      replace: (context, id, body, options, preconditions) =>
        serviceOf(type).replace(context, id, body, options, preconditions),
      patch: (context, id, body, options, preconditions) =>
        serviceOf(type).patch(context, id, body, options, preconditions),
      delete: (context, id, preconditions) => serviceOf(type).delete(context, id, preconditions),
    });
    return { User: live('User'), Group: live('Group') };
  }
}
