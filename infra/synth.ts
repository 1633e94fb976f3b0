import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatIdleCost, idleCost } from './idle-cost.ts';

/**
 * `npm run synth`: `cdk synth --quiet` (which runs cdk-nag and stops on a finding),
 * then a table of the bundle size of every function, read from the cloud assembly.
 * Arguments are passed on to cdk (e.g. `-- --context stage=prod`).
 */

export interface BundleSize {
  /** The function's construct id (its id in functions/definitions.ts). */
  readonly functionId: string;
  readonly bundleBytes: number;
  readonly sourceMapBytes: number;
  /** Every file of the deployment package (bundle, map, directory, bundled folders). */
  readonly packageBytes: number;
}

interface Template {
  Resources: Record<
    string,
    { Type: string; Properties?: { Code?: { S3Key?: unknown } }; Metadata?: Record<string, unknown> }
  >;
}

function folderBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? folderBytes(path) : statSync(path).size;
  }
  return total;
}

const sizeOf = (path: string) => (existsSync(path) ? statSync(path).size : 0);

/** The bundle of each Lambda function of the templates in a cloud assembly, largest first. */
export function bundleSizes(outdir: string): BundleSize[] {
  const rows: BundleSize[] = [];
  for (const file of readdirSync(outdir).filter((f) => f.endsWith('.template.json'))) {
    const template = JSON.parse(readFileSync(join(outdir, file), 'utf8')) as Template;
    for (const [logicalId, resource] of Object.entries(template.Resources)) {
      if (resource.Type !== 'AWS::Lambda::Function') continue;
      const key = resource.Properties?.Code?.S3Key;
      if (typeof key !== 'string' || !key.endsWith('.zip')) continue;
      const asset = join(outdir, `asset.${key.slice(0, -'.zip'.length)}`);
      if (!existsSync(asset)) continue;
      const path = resource.Metadata?.['aws:cdk:path'];
      // …/<FunctionId>/Function/Resource; without path metadata, the logical id.
      const functionId = typeof path === 'string' ? (path.split('/').at(-3) ?? logicalId) : logicalId;
      rows.push({
        functionId,
        bundleBytes: sizeOf(join(asset, 'index.mjs')),
        sourceMapBytes: sizeOf(join(asset, 'index.mjs.map')),
        packageBytes: folderBytes(asset),
      });
    }
  }
  return rows.sort((a, b) => b.bundleBytes - a.bundleBytes);
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} kB`;

export function formatBundleSizes(rows: readonly BundleSize[]): string {
  const header = ['function', 'bundle', 'source map', 'package'];
  const lines = rows.map((r) => [r.functionId, kb(r.bundleBytes), kb(r.sourceMapBytes), kb(r.packageBytes)]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [row(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(row)].join('\n');
}

/** The output folder: `-o`/`--output` among the arguments, else cdk.json's, else cdk.out. */
function outputFolder(args: readonly string[], projectRoot: string): string {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if ((arg === '-o' || arg === '--output') && args[i + 1]) return resolve(projectRoot, args[i + 1]!);
    if (arg.startsWith('--output=')) return resolve(projectRoot, arg.slice('--output='.length));
  }
  const config = JSON.parse(readFileSync(join(projectRoot, 'cdk.json'), 'utf8')) as { output?: string };
  return resolve(projectRoot, config.output ?? 'cdk.out');
}

function main(): void {
  const projectRoot = resolve(fileURLToPath(import.meta.url), '../..');
  const args = process.argv.slice(2);
  const cdk = join(projectRoot, 'node_modules', '.bin', 'cdk');
  const run = spawnSync(cdk, ['synth', '--quiet', ...args], { cwd: projectRoot, stdio: 'inherit' });
  if (run.status !== 0) {
    process.exitCode = run.status ?? 1;
    return;
  }
  const outdir = outputFolder(args, projectRoot);
  const rows = bundleSizes(outdir);
  console.log(`\nFunction bundles (${rows.length}):\n${formatBundleSizes(rows)}`);
  for (const file of readdirSync(outdir).filter((f) => f.endsWith('.template.json'))) {
    const template = JSON.parse(readFileSync(join(outdir, file), 'utf8')) as {
      Resources: Record<string, { Type: string }>;
      Outputs?: Record<string, unknown>;
    };
    console.log(
      `\n${file.replace('.template.json', '')}: ${Object.keys(template.Resources).length} of 500 resources, ${Object.keys(template.Outputs ?? {}).length} of 200 outputs`,
    );
    console.log(`Idle monthly cost (USD):\n${formatIdleCost(idleCost(template))}`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
