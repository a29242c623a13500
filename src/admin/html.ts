/** Text already escaped for HTML: produced by {@link html}, inserted as is. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

/**
 * The only way the console writes HTML: every interpolated value is escaped unless it is
 * {@link Html} itself; arrays are joined; undefined, null and false write nothing. Values from
 * the app, the IdP or the id map can therefore never become markup.
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? '';
  values.forEach((value, index) => {
    out += render(value) + (strings[index + 1] ?? '');
  });
  return new Html(out);
}

function render(value: unknown): string {
  if (value === undefined || value === null || value === false) return '';
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/** Pretty JSON for a `<pre>` block (escaped by {@link html} when interpolated). */
export function json(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? '';
}
