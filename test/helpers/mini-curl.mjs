#!/usr/bin/env node
// A stand-in for curl where it is not installed, understanding the options the README's commands
// use: -s, -f, -X, -H, -d, -G, --data-urlencode, -o, -w '%{http_code}\n'. Exit codes as curl's:
// 7 when nothing answers, 22 for -f and a status of 400 or more.
import { writeFileSync } from 'node:fs';

const args = process.argv.slice(2);
let method;
let url;
let output;
let format;
let get = false;
let fail = false;
const headers = {};
const data = [];
for (let i = 0; i < args.length; i++) {
  const arg = args[i];
  if (/^-[sf]+$/.test(arg)) {
    fail ||= arg.includes('f');
  } else if (arg === '-X') method = args[++i];
  else if (arg === '-H') {
    const header = args[++i];
    const colon = header.indexOf(':');
    headers[header.slice(0, colon).trim()] = header.slice(colon + 1).trim();
  } else if (arg === '-d' || arg === '--data') data.push(args[++i]);
  else if (arg === '--data-urlencode') {
    const value = args[++i];
    const eq = value.indexOf('=');
    data.push(
      eq < 0 ? encodeURIComponent(value) : `${value.slice(0, eq)}=${encodeURIComponent(value.slice(eq + 1))}`,
    );
  } else if (arg === '-G' || arg === '--get') get = true;
  else if (arg === '-o') output = args[++i];
  else if (arg === '-w') format = args[++i];
  else if (arg.startsWith('-')) {
    process.stderr.write(`curl (stand-in): option ${arg} is not handled\n`);
    process.exit(2);
  } else url = arg;
}

let body;
if (data.length > 0 && get) url += `${url.includes('?') ? '&' : '?'}${data.join('&')}`;
else if (data.length > 0) {
  body = data.join('&');
  if (!Object.keys(headers).some((name) => name.toLowerCase() === 'content-type'))
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
}
method ??= body === undefined ? 'GET' : 'POST';

let res;
try {
  res = await fetch(url, { method, headers, body });
} catch {
  process.exit(7);
}
const text = await res.text();
if (output === undefined) process.stdout.write(text);
else writeFileSync(output, text);
if (format !== undefined)
  process.stdout.write(format.replaceAll('%{http_code}', String(res.status)).replaceAll('\\n', '\n'));
process.exit(fail && res.status >= 400 ? 22 : 0);
