// The one place a rule id becomes a link to its guidance page.
export const DEFAULT_DOCS_BASE_URL = 'https://scalelint.dev/rules/';

export function docsUrl(ruleId: string, baseUrl: string = DEFAULT_DOCS_BASE_URL): string {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  return `${base}${encodeURIComponent(ruleId)}`;
}

/** Path of a rule's guidance page inside the package (shipped with the extension, readable offline). */
export function guidePath(ruleId: string): string {
  return `rules/${ruleId}/README.md`;
}
