import { cpSync, existsSync } from 'node:fs';
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
