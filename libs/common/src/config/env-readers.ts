import { isExactOrigin } from '../http/exact-origin';
import { ConfigError } from './config-error';

/**
 * Readers of environment variables, each failing with a ConfigError that names the variable:
 * shared by the platform configuration (app-config.ts) and the service's own settings.
 */
export type Env = Record<string, string | undefined>;

export function optional(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

export function required(env: Env, name: string): string {
  const value = optional(env, name);
  if (value === undefined) throw new ConfigError(name, 'is required');
  return value;
}

export function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  if (!/^-?\d+$/.test(raw)) throw new ConfigError(name, `must be an integer, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

export function flag(env: Env, name: string): boolean {
  const raw = optional(env, name);
  if (raw === undefined) return false;
  if (raw !== 'true' && raw !== 'false') throw new ConfigError(name, `must be true or false, got "${raw}"`);
  return raw === 'true';
}

export function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = optional(env, name) ?? fallback;
  if (!allowed.includes(raw as T)) throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${raw}"`);
  return raw as T;
}

export function url(env: Env, name: string, protocols: string[]): string {
  const raw = required(env, name);
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, 'must be a URL');
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must use ${protocols.join(' or ')}`);
  }
  return raw;
}

export function origins(env: Env, name: string, fallback: string): string[] {
  const raw = optional(env, name) ?? fallback;
  const list = raw
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  if (list.length === 0) throw new ConfigError(name, 'must list at least one origin');
  for (const origin of list) {
    if (!URL.canParse(origin)) throw new ConfigError(name, `must be a comma list of URLs, got "${origin}"`);
    if (!isExactOrigin(origin)) throw new ConfigError(name, `must list exact origins (scheme://host[:port]), got "${origin}"`);
  }
  return list;
}
