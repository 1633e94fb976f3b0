import { readFileSync } from 'node:fs';
import { type Directory, DirectoryInvalidError, parseDirectory } from '#shared/domain/directory/index.ts';

/**
 * Reads and validates a directory file. The one piece of I/O in this module: a
 * synchronous read, meant for start-up (module scope of a handler, CDK synth, CLI).
 */
export function loadDirectory(path: string): Directory {
  const text = readFileSync(path, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new DirectoryInvalidError([{ path: '(root)', reason: `not valid JSON: ${reason}` }], path);
  }
  return parseDirectory(json, path);
}
