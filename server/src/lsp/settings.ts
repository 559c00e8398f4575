// Editor settings (`scalelint.*` in workspace/configuration), validated: a bad value falls back to the
// default instead of breaking the session.
import type { SeveritySetting } from '../engine/types';

export interface Settings {
  enable: boolean;
  /** Rule severities on top of scalelint.config.json. */
  rules: Record<string, SeveritySetting>;
  /** Timeout the fixes write (AbortSignal.timeout, axios timeout…), on top of the config file. */
  defaultTimeoutMs?: number;
  /** Analyse every file of the workspace on start-up, so the Problems panel lists closed files too. */
  scanWorkspaceOnStartup: boolean;
}

export const DEFAULT_SETTINGS: Settings = { enable: true, rules: {}, scanWorkspaceOnStartup: true };

const SEVERITIES = new Set(['error', 'warning', 'info', 'off']);

export function parseSettings(raw: unknown): Settings {
  const value = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const rules: Record<string, SeveritySetting> = {};
  if (value.rules && typeof value.rules === 'object') {
    for (const [id, severity] of Object.entries(value.rules as Record<string, unknown>)) {
      const normalized = severity === 'warn' ? 'warning' : severity;
      if (typeof normalized === 'string' && SEVERITIES.has(normalized)) rules[id] = normalized as SeveritySetting;
    }
  }
  const timeout = value.defaultTimeoutMs;
  return {
    enable: typeof value.enable === 'boolean' ? value.enable : DEFAULT_SETTINGS.enable,
    rules,
    defaultTimeoutMs: typeof timeout === 'number' && Number.isFinite(timeout) && timeout > 0 ? timeout : undefined,
    scanWorkspaceOnStartup: typeof value.scanWorkspaceOnStartup === 'boolean' ? value.scanWorkspaceOnStartup : DEFAULT_SETTINGS.scanWorkspaceOnStartup,
  };
}
