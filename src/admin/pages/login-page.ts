import { type Html, html } from '../html.js';
import { assetUrl } from './layout.js';

export interface LoginOptions {
  base: string;
  /** Where to go after signing in (a console path). */
  next: string;
  token: boolean;
  password: boolean;
  message?: string;
}

/** Answered with 401 to any console page without a session, and at /login. */
export function loginPage(options: LoginOptions): Html {
  const { base } = options;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>Sign in · scim-sidecar admin</title>
<link rel="stylesheet" href="${assetUrl(base, 'admin.css')}">
</head>
<body>
<main id="main" class="login">
<h1>scim-sidecar admin</h1>
<p class="muted">Sign in with the console's own credential (<code>admin.tokenHash</code> or <code>admin.basic</code>): the SCIM token does not open the console.</p>
${options.message ? html`<p class="notice error" role="alert">${options.message}</p>` : ''}
${
  options.token
    ? html`<form method="post" action="${base}/login" class="stack">
  <fieldset>
    <legend>With the console token</legend>
    <input type="hidden" name="next" value="${options.next}">
    <label for="token">Console token</label>
    <input id="token" name="token" type="password" autocomplete="current-password" required>
    <p><button type="submit">Sign in</button></p>
  </fieldset>
</form>`
    : ''
}
${
  options.password
    ? html`<form method="post" action="${base}/login" class="stack">
  <fieldset>
    <legend>With a user name and password</legend>
    <input type="hidden" name="next" value="${options.next}">
    <label for="username">User name</label>
    <input id="username" name="username" autocomplete="username" required>
    <label for="password">Password</label>
    <input id="password" name="password" type="password" autocomplete="current-password" required>
    <p><button type="submit">Sign in</button></p>
  </fieldset>
</form>`
    : ''
}
</main>
</body>
</html>
`;
}
