// Secrets found in analysed code (connection strings, API keys, tokens) must never be echoed in full in
// messages: CI logs and SARIF uploads are read by many more people than the repository's secrets are.
// Masking keeps enough (scheme, user, host, a key's first characters) to tell which value is meant.

const MASK = '****';

const RULES: { pattern: RegExp; replace: (match: string, ...groups: string[]) => string }[] = [
  // scheme://user:password@host → scheme://user:****@host
  { pattern: /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:/@'"`]*):([^\s@/'"`]+)@/gi, replace: (_m, scheme: string, user: string) => `${scheme}${user}:${MASK}@` },
  // password=..., "apiKey": "...", token: '...', ?access_token=...
  {
    pattern: /\b((?:[a-z0-9]*[_-])?(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?|auth))(["']?\s*[:=]\s*["'`]?)([^\s"'`&,;)}\]]{3,})/gi,
    replace: (_m, key: string, separator: string) => `${key}${separator}${MASK}`,
  },
  // Authorization: Bearer <token>
  { pattern: /\b(Bearer|Basic)\s+([A-Za-z0-9._~+/-]{8,}=*)/g, replace: (_m, scheme: string, token: string) => `${scheme} ${token.slice(0, 4)}${MASK}` },
  // Well-known key shapes: AWS access keys, Stripe, GitHub, Slack, JWTs.
  { pattern: /\b(AKIA|ASIA)[0-9A-Z]{16}\b/g, replace: (match: string) => `${match.slice(0, 4)}${MASK}` },
  { pattern: /\b(sk|rk|pk)_(live|test)_[0-9a-zA-Z]{8,}\b/g, replace: (match: string) => `${match.slice(0, 8)}${MASK}` },
  { pattern: /\b(ghp|gho|ghu|ghs|ghr|github_pat)_[0-9A-Za-z_]{16,}\b/g, replace: (match: string) => `${match.slice(0, 4)}${MASK}` },
  { pattern: /\bxox[abprs]-[0-9A-Za-z-]{10,}\b/g, replace: (match: string) => `${match.slice(0, 5)}${MASK}` },
  { pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b/g, replace: () => `eyJ${MASK}` },
];

/** The text with credentials masked; text without any is returned unchanged. */
export function redactSecrets(text: string): string {
  let result = text;
  for (const rule of RULES) result = result.replace(rule.pattern, rule.replace as (substring: string, ...args: unknown[]) => string);
  return result;
}
