// The one place a rule id becomes a link to its guidance page.
export const DEFAULT_DOCS_BASE_URL = 'https://scalelint.dev/rules/';

export function docsUrl(ruleId: string, baseUrl: string = DEFAULT_DOCS_BASE_URL): string {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  return `${base}${encodeURIComponent(ruleId)}`;
}

/**
 * Pages of findings that come from the engine rather than a rule folder: `unused-suppression` links to
 * the page id 'suppressions' (online `<docsBaseUrl>suppressions`, offline docs/suppressions.md),
 * `analysis-budget` to 'configuration'.
 */
const ENGINE_PAGES: Readonly<Record<string, string>> = { suppressions: 'docs/suppressions.md', configuration: 'docs/configuration.md' };

/** Path of a guidance page inside the package (shipped with the extension, readable offline). */
export function guidePath(pageId: string): string {
  return Object.hasOwn(ENGINE_PAGES, pageId) ? ENGINE_PAGES[pageId] : `rules/${pageId}/README.md`;
}
