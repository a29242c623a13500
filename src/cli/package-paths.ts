import { fileURLToPath } from 'node:url';

/** The package root, both from src/ (tests) and from dist/ (installed): two levels above this file's folder. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function packagePath(relative: string): string {
  return fileURLToPath(new URL(`../../${relative}`, import.meta.url));
}
