import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * What the local platform and the tests need that `npm ci` cannot install, checked
 * before anything else starts, each answered in one sentence that says what to do.
 * Only Node's built-in modules are imported here: on an older Node the platform's own
 * modules fail to load (fauxqs needs `node:sqlite`) before any check could run.
 */

/** The oldest Node the project runs on; the same as `engines.node` in package.json. */
export const MIN_NODE = '22.22.2';

/** Where Debian's `chromium` package puts the browser the e2e tests drive. */
export const CHROMIUM = '/usr/bin/chromium';

function older(version: string, than: string): boolean {
  const a = version.replace(/^v/, '').split('.').map(Number);
  const b = than.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x < y;
  }
  return false;
}

/** Why this Node cannot run the project, or undefined when it can. */
export function nodeProblem(
  version: string = process.version,
  execPath: string = process.execPath,
): string | undefined {
  if (!older(version, MIN_NODE)) return undefined;
  return `referral-exchange needs Node.js ${MIN_NODE} or newer, but this is Node ${version} (${execPath}): run it through npm (npm ci, then npm start / npm test / npm run demo), which puts the Node 22 from the devDependencies first on the PATH.`;
}

/** The major version in `java -version` output (`"1.8.0_392"` → 8, `"17.0.15"` → 17), or 0. */
export function javaMajor(versionOutput: string): number {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (!match) return 0;
  return Number(match[1] === '1' ? match[2] : match[1]);
}

/** Why DynamoDB Local cannot run here (no Java ≥ 17 on the PATH), or undefined. */
export function javaProblem(): string | undefined {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (result.error || result.status !== 0) {
    return 'Java is needed to run DynamoDB Local but was not found: install Java 17 or newer (e.g. sudo apt-get install openjdk-17-jre-headless) and start again.';
  }
  const major = javaMajor(`${result.stderr}${result.stdout}`);
  if (major < 17) {
    return `DynamoDB Local needs Java 17 or newer, but java ${major} was found: install a newer Java (e.g. sudo apt-get install openjdk-17-jre-headless) and start again.`;
  }
  return undefined;
}

/** Why the browser tests cannot run here (no Chromium), or undefined. */
export function chromiumProblem(path: string = CHROMIUM): string | undefined {
  if (existsSync(path)) return undefined;
  return `The browser tests need Chromium at ${path}, which was not found: install it (e.g. sudo apt-get install chromium) and run the tests again.`;
}

/** An error whose message is the whole story: no stack trace under it. */
export class PreflightError extends Error {
  override name = 'PreflightError';
  constructor(message: string) {
    super(message);
    this.stack = message;
  }
}

/** What a caller needs beyond Node itself. */
export interface Needs {
  readonly java?: boolean;
  readonly chromium?: boolean;
}

/** Throws the first unmet need as a PreflightError. */
export function assertPrerequisites(needs: Needs): void {
  const problem =
    nodeProblem() ??
    (needs.java ? javaProblem() : undefined) ??
    (needs.chromium ? chromiumProblem() : undefined);
  if (problem) throw new PreflightError(problem);
}

/** For entry points: prints the first unmet need in one line and exits 1. */
export function exitUnlessPrerequisites(needs: Needs): void {
  try {
    assertPrerequisites(needs);
  } catch (error) {
    if (!(error instanceof PreflightError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}
