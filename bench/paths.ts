import { cpSync, existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The bench is compiled (with the sources it measures) into bench/dist: this file runs from
 * bench/dist/bench/, three levels below the repository root.
 */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const OUT_DIR = fileURLToPath(new URL('../', import.meta.url));
export const DEMO_MAPPING = `${ROOT}mappings/demo.yaml`;

/** A compiled bench entry point next to this file, e.g. `legacy-app.js`. */
export function benchScript(name: string): string {
  return fileURLToPath(new URL(`./${name}`, import.meta.url));
}

/**
 * The compiled sources read package files relative to themselves, as `dist/` does one level
 * below the package root (`../package.json`, `../../schemas/*.json`); bench/dist/src is one level
 * below bench/dist, so those files are copied there.
 */
export function preparePackageRoot(): void {
  if (!existsSync(DEMO_MAPPING)) {
    throw new Error(`Run the bench from its compiled copy (bench/dist/bench); ${DEMO_MAPPING} not found`);
  }
  for (const entry of ['package.json', 'schemas', 'mappings']) {
    cpSync(`${ROOT}${entry}`, `${OUT_DIR}${entry}`, { recursive: true });
  }
}

/** The Node versions the package supports: its `engines.node` (`>=22.12`). */
export function supportedNodeRange(): string | undefined {
  const manifest = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { engines?: { node?: string } };
  return manifest.engines?.node;
}

/**
 * Why Node `version` (`v20.20.2`) is outside `range` (`>=22.12`, the only form `engines` uses
 * here); undefined when it is inside, or when either does not parse. Numbers measured on a Node
 * the package does not support are not what users run.
 */
export function unsupportedNode(version: string, range: string | undefined): string | undefined {
  const minimum = /^>=\s*(\d+)(?:\.(\d+))?/.exec(range ?? '');
  const running = /^v(\d+)\.(\d+)/.exec(version);
  if (!minimum || !running) return undefined;
  const [wantMajor, wantMinor] = [Number(minimum[1]), Number(minimum[2] ?? 0)];
  const [major, minor] = [Number(running[1]), Number(running[2])];
  if (major > wantMajor || (major === wantMajor && minor >= wantMinor)) return undefined;
  return `node ${version} is outside what scim-sidecar supports (engines: ${range}): pass --node <path> to measure a supported one`;
}
