/**
 * The floor for any proxy that reads what it forwards: Fastify parses the request's JSON body,
 * undici sends the same call to the app, and the app's JSON answer is parsed and serialised
 * again. No mapping, no SCIM, no id map, no auth. The sidecar cannot cost less than this per
 * call, so this target tells how much of the gap to the streaming passthrough is the price of
 * handling JSON at all. Run by bench/run.ts: `node json-forward.js --upstream URL`.
 */
import Fastify from 'fastify';
import { Agent, request } from 'undici';
import { argValue, serveParent } from './ipc.js';

const upstream = argValue(process.argv.slice(2), '--upstream');
const dispatcher = new Agent({ connections: 128 });
/** Headers describing the inbound connection or body, not the call: undici sets its own. */
const NOT_FORWARDED = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive']);

const app = Fastify({ logger: false });
app.all('/*', async (req, reply) => {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === 'string' && !NOT_FORWARDED.has(name)) headers[name] = value;
  }
  const response = await request(`${upstream}${req.url}`, {
    method: req.method as 'GET',
    headers,
    body: req.body === undefined ? null : JSON.stringify(req.body),
    dispatcher,
  });
  const text = await response.body.text();
  reply.code(response.statusCode);
  return text === '' ? reply.send() : reply.send(JSON.parse(text) as unknown);
});
const url = await app.listen({ host: '127.0.0.1', port: 0 });
serveParent(url, {}, async () => {
  await app.close();
  await dispatcher.close();
});
