import { loadDirectory } from '#shared/adapters/directory-file.ts';
import type { Directory } from '#shared/domain/directory/index.ts';
import { PrincipalResolver } from '#shared/identity/principal.ts';
import { loadConfig, type RuntimeConfig } from './config.ts';

/**
 * Per-process singletons of a function: configuration, the deployment directory and
 * the principal resolver, each built once per cold start on first use.
 */
let config: RuntimeConfig | undefined;
let directory: Directory | undefined;
let resolver: PrincipalResolver | undefined;

export function runtimeConfig(): RuntimeConfig {
  config ??= loadConfig();
  return config;
}

export function runtimeDirectory(): Directory {
  directory ??= loadDirectory(runtimeConfig().directoryFile);
  return directory;
}

export function principalResolver(): PrincipalResolver {
  const { stage, accountId } = runtimeConfig();
  resolver ??= new PrincipalResolver(runtimeDirectory(), { stage, accountId });
  return resolver;
}
