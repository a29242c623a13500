import { YIELD_EVERY, yieldToEventLoop } from './yield.js';

/**
 * `JSON.stringify(value)` of a plain object in pieces, with a turn of the event loop between the
 * chunks of each top-level array longer than YIELD_EVERY: joined, or fed one by one to a hash,
 * the pieces are exactly what `JSON.stringify` writes (the same keys in the same order, the same
 * values left out). A group of 100 000 members is serialised, and hashed for its ETag, without
 * holding the event loop for the whole of it.
 */
export async function jsonPieces(value: Record<string, unknown>): Promise<string[]> {
  const pieces: string[] = ['{'];
  let first = true;
  for (const key of Object.keys(value)) {
    const item = value[key];
    const comma = first ? '' : ',';
    if (Array.isArray(item) && item.length > YIELD_EVERY) {
      pieces.push(`${comma}${JSON.stringify(key)}:[`);
      for (let start = 0; start < item.length; start += YIELD_EVERY) {
        await yieldToEventLoop();
        const chunk = JSON.stringify(item.slice(start, start + YIELD_EVERY));
        pieces.push(`${start > 0 ? ',' : ''}${chunk.slice(1, -1)}`);
      }
      pieces.push(']');
    } else {
      // undefined for values JSON leaves out (undefined, functions): so is the key.
      const text = JSON.stringify(item) as string | undefined;
      if (text === undefined) continue;
      pieces.push(`${comma}${JSON.stringify(key)}:${text}`);
    }
    first = false;
  }
  pieces.push('}');
  return pieces;
}
