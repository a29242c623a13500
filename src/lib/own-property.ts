/**
 * Sets `key` on `target` as an own, enumerable data property, as JSON.parse does. Plain
 * assignment of a "__proto__" key (which JSON from an app or a file can hold) would set the
 * prototype instead of adding the key.
 */
export function setOwnProperty(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}
