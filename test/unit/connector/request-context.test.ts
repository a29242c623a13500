import { afterEach, describe, expect, it, vi } from 'vitest';
import type { UpstreamObserver } from '../../../src/connector/connector.js';
import { outsideRequest, remainingMs, requestContext } from '../../../src/connector/request-context.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('request context', () => {
  it('a request has its deadline counted from when its context is created', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const context = requestContext(40_000);
    expect(context.deadline).toBe(1_040_000);
    expect(remainingMs(context)).toBe(40_000);
    vi.advanceTimersByTime(15_000);
    expect(remainingMs(context)).toBe(25_000);
    vi.advanceTimersByTime(30_000);
    expect(remainingMs(context)).toBe(-5_000);
  });

  it("carries the audit recorder's calls only when given one", () => {
    const upstreamCall: UpstreamObserver = () => {};
    const droppedAttributes = () => {};
    const resource = () => {};
    const context = requestContext(1_000, { upstreamCall, droppedAttributes, resource });
    expect(context.onUpstreamCall).toBe(upstreamCall);
    expect(context.onDroppedAttributes).toBe(droppedAttributes);
    expect(context.onResource).toBe(resource);
    expect('onUpstreamCall' in requestContext(1_000)).toBe(false);
    expect('onDroppedAttributes' in requestContext(1_000)).toBe(false);
    expect('onResource' in requestContext(1_000)).toBe(false);
  });

  it('outside a request: no deadline, nothing recorded, and nobody can add either', () => {
    const context = outsideRequest();
    expect(remainingMs(context)).toBe(Number.POSITIVE_INFINITY);
    expect(context.onUpstreamCall).toBeUndefined();
    expect(Object.isFrozen(context)).toBe(true);
  });
});
