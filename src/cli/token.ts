import { generateToken, hashPassword, hashToken } from '../http/credentials.js';

/**
 * `scim-sidecar token`: a new random bearer token and the hash to paste into config.yaml;
 * `--basic <password>` hashes a password for HTTP basic instead.
 */
export function tokenCommand(options: { name?: string; basicPassword?: string }): string {
  if (options.basicPassword !== undefined) {
    return [
      'Paste under auth.basic in config.yaml:',
      `  passwordHash: "${hashPassword(options.basicPassword)}"`,
      '',
    ].join('\n');
  }
  const token = generateToken();
  const name = options.name ?? `token-${new Date().toISOString().slice(0, 10)}`;
  return [
    'Secret token (give it to the identity provider; it is not stored anywhere):',
    `  ${token}`,
    '',
    'Paste under auth.bearer.tokens in config.yaml:',
    `  - name: ${name}`,
    `    hash: "${hashToken(token)}"`,
    '',
  ].join('\n');
}
