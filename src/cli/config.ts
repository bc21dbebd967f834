import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CliError, EXIT } from './errors';

/** How to reach the admin API, and where each value came from. */
export interface CliConfig {
  url: string;
  adminKey: string;
  sources: { url: Source; adminKey: Source };
  configFile: string;
}
export type Source = 'flag' | 'env' | 'file' | 'none';

export interface ConfigInputs {
  flags: { url?: string; adminKey?: string; config?: string };
  env: NodeJS.ProcessEnv;
}

/** `--config`, else PAYWIRE_CONFIG, else $XDG_CONFIG_HOME/paywire/config.json (~/.config/…). */
export function configFilePath({ flags, env }: ConfigInputs): string {
  if (flags.config) return flags.config;
  if (env.PAYWIRE_CONFIG) return env.PAYWIRE_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'paywire', 'config.json');
}

interface FileConfig {
  url?: string;
  adminKey?: string;
}

function readConfigFile(path: string, explicit: boolean): FileConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !explicit) return {};
    throw CliError.local(
      'CLI_CONFIG',
      `Cannot read the config file ${path}: ${(err as Error).message}`,
      EXIT.USAGE,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw CliError.local('CLI_CONFIG', `The config file ${path} is not valid JSON`, EXIT.USAGE);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw CliError.local(
      'CLI_CONFIG',
      `The config file ${path} must hold a JSON object {"url", "adminKey"}`,
      EXIT.USAGE,
    );
  }
  const { url, adminKey } = parsed as Record<string, unknown>;
  if (
    (url !== undefined && typeof url !== 'string') ||
    (adminKey !== undefined && typeof adminKey !== 'string')
  ) {
    throw CliError.local('CLI_CONFIG', `In ${path}, "url" and "adminKey" must be strings`, EXIT.USAGE);
  }
  return { url, adminKey };
}

/**
 * Precedence: flags (--url, --admin-key) > environment (PAYWIRE_URL, PAYWIRE_ADMIN_KEY) >
 * config file. Values may be missing here; `requireApiConfig` insists on them.
 */
export function resolveConfig(inputs: ConfigInputs): CliConfig {
  const configFile = configFilePath(inputs);
  const explicit = !!(inputs.flags.config || inputs.env.PAYWIRE_CONFIG);
  const file = readConfigFile(configFile, explicit);
  const pick = (flag: string | undefined, env: string | undefined, fromFile: string | undefined) =>
    flag
      ? { value: flag, source: 'flag' as const }
      : env
        ? { value: env, source: 'env' as const }
        : fromFile
          ? { value: fromFile, source: 'file' as const }
          : { value: '', source: 'none' as const };
  const url = pick(inputs.flags.url, inputs.env.PAYWIRE_URL, file.url);
  const adminKey = pick(inputs.flags.adminKey, inputs.env.PAYWIRE_ADMIN_KEY, file.adminKey);
  return {
    url: url.value.replace(/\/+$/, ''),
    adminKey: adminKey.value,
    sources: { url: url.source, adminKey: adminKey.source },
    configFile,
  };
}

export function requireApiConfig(config: CliConfig): CliConfig {
  if (!config.url) {
    throw CliError.local(
      'CLI_CONFIG',
      `No Paywire URL: pass --url, set PAYWIRE_URL, or put {"url": "https://…"} in ${config.configFile}`,
      EXIT.USAGE,
    );
  }
  try {
    const u = new URL(config.url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw CliError.local('CLI_CONFIG', `The Paywire URL "${config.url}" is not an http(s) URL`, EXIT.USAGE);
  }
  if (!config.adminKey) {
    throw CliError.local(
      'CLI_CONFIG',
      `No admin key: pass --admin-key, set PAYWIRE_ADMIN_KEY, or put {"adminKey": "…"} in ${config.configFile}`,
      EXIT.USAGE,
    );
  }
  return config;
}

/** For display: whether it is set, never any of its characters. */
export function describeAdminKey(key: string): string {
  return key ? `set (${key.length} characters)` : 'not set';
}
