// Secrets found in analysed code (connection strings, API keys, tokens) must never be echoed in full in
// messages: CI logs and SARIF uploads are read by many more people than the repository's secrets are.
// Masking keeps enough (scheme, user, host, a key's first characters) to tell which value is meant.

const MASK = '****';

/** Splits a matched secret into the part worth keeping (scheme, user, key name, first characters) and the secret. */
type Split = (match: string, ...groups: string[]) => { keep: string; secret: string; rest?: string };

const RULES: { pattern: RegExp; split: Split }[] = [
  // scheme://user:password@host → scheme://user:****@host
  { pattern: /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:/@'"`]*):([^\s@/'"`]+)@/gi, split: (_m, scheme, user, password) => ({ keep: `${scheme}${user}:`, secret: password, rest: '@' }) },
  // password=..., "apiKey": "...", token: '...', ?access_token=...
  {
    pattern: /\b((?:[a-z0-9]*[_-])?(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?|auth))(["']?\s*[:=]\s*["'`]?)([^\s"'`&,;)}\]]{3,})/gi,
    split: (_m, key, separator, value) => ({ keep: `${key}${separator}`, secret: value }),
  },
  // Authorization: Bearer <token>
  { pattern: /\b(Bearer|Basic)\s+([A-Za-z0-9._~+/-]{8,}=*)/g, split: (match, _scheme, token) => ({ keep: match.slice(0, match.length - token.length + 4), secret: token.slice(4) }) },
  // Well-known key shapes: AWS access keys, Stripe, GitHub, Slack, JWTs.
  { pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, split: (match) => ({ keep: match.slice(0, 4), secret: match.slice(4) }) },
  { pattern: /\b(?:sk|rk|pk)_(?:live|test)_[0-9a-zA-Z]{8,}\b/g, split: (match) => ({ keep: match.slice(0, 8), secret: match.slice(8) }) },
  { pattern: /\b(?:ghp|gho|ghu|ghs|ghr|github_pat)_[0-9A-Za-z_]{16,}\b/g, split: (match) => ({ keep: match.slice(0, 4), secret: match.slice(4) }) },
  { pattern: /\bxox[abprs]-[0-9A-Za-z-]{10,}\b/g, split: (match) => ({ keep: match.slice(0, 5), secret: match.slice(5) }) },
  { pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b/g, split: (match) => ({ keep: 'eyJ', secret: match.slice(3) }) },
];

function replaceSecrets(text: string, mask: (secret: string) => string): string {
  let result = text;
  for (const rule of RULES) {
    result = result.replace(rule.pattern, (match: string, ...groups: unknown[]) => {
      const { keep, secret, rest = '' } = rule.split(match, ...(groups.filter((group) => typeof group === 'string') as string[]));
      return `${keep}${mask(secret)}${rest}`;
    });
  }
  return result;
}

/** The text with credentials masked; text without any is returned unchanged. For messages. */
export function redactSecrets(text: string): string {
  return replaceSecrets(text, () => MASK);
}

/**
 * The same, with every secret character replaced by `*` so lengths, lines and columns stay valid: for
 * code shown in reports (code frames, SARIF snippets).
 */
export function maskSecrets(text: string): string {
  return replaceSecrets(text, (secret) => '*'.repeat(secret.length));
}
