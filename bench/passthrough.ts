/**
 * The limit for any proxy: a plain Fastify + @fastify/http-proxy in front of the legacy app,
 * default options, no logging. Run by bench/run.ts: `node passthrough.js --upstream URL`.
 */
import proxy from '@fastify/http-proxy';
import Fastify from 'fastify';
import { argValue, serveParent } from './ipc.js';

const upstream = argValue(process.argv.slice(2), '--upstream');
const app = Fastify({ logger: false });
await app.register(proxy, { upstream, prefix: '/', rewritePrefix: '/', websocket: false });
const url = await app.listen({ host: '127.0.0.1', port: 0 });
serveParent(url, {}, () => app.close());
