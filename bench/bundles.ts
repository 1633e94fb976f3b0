/**
 * Section 3 (and the import half of 7): each function bundled with the options of
 * infra/bundling.ts (those of the CDK construct) (esbuild, ESM, node22, minified, source map beside),
 * its size, what dominates it, and its cold import time and peak RSS in fresh
 * processes, against a bundle of only the AWS SDK clients the function uses.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { median, round } from '#bench/lib/stats.ts';
import { functionDefinitions } from '#functions/definitions.ts';
import { LAMBDA_BUNDLING } from '#infra/bundling.ts';
import { functionEnvironment } from '#shared/function-environment.ts';

/** The bundling of infra/bundling.ts (what the CDK construct deploys), as esbuild options. */
export const LAMBDA_BUILD: esbuild.BuildOptions = {
  bundle: true,
  platform: LAMBDA_BUNDLING.platform,
  format: LAMBDA_BUNDLING.format,
  target: LAMBDA_BUNDLING.target,
  minify: LAMBDA_BUNDLING.minify,
  sourcemap: LAMBDA_BUNDLING.sourceMap,
  sourcesContent: LAMBDA_BUNDLING.sourcesContent,
  mainFields: [...LAMBDA_BUNDLING.mainFields],
  external: [...LAMBDA_BUNDLING.externalModules],
  logLevel: 'error',
  metafile: true,
  banner: { js: LAMBDA_BUNDLING.banner },
};

/** The SDK clients a bundle can contain, and how a baseline bundle instantiates each. */
const CLIENTS: Record<string, string> = {
  '@aws-sdk/client-dynamodb':
    "import { DynamoDBClient } from '@aws-sdk/client-dynamodb'; used.push(new DynamoDBClient({}));",
  '@aws-sdk/lib-dynamodb':
    "import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'; import { DynamoDBClient as D2 } from '@aws-sdk/client-dynamodb'; used.push(DynamoDBDocumentClient.from(new D2({})));",
  '@aws-sdk/client-sqs': "import { SQSClient } from '@aws-sdk/client-sqs'; used.push(new SQSClient({}));",
  '@aws-sdk/client-kms': "import { KMSClient } from '@aws-sdk/client-kms'; used.push(new KMSClient({}));",
  '@aws-sdk/client-dynamodb-streams':
    "import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams'; used.push(new DynamoDBStreamsClient({}));",
};

const packageOf = (input: string) =>
  /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? input.split('/').slice(0, 2).join('/');

export interface BundleFigure {
  id: string;
  bytes: number;
  /** Null when the function uses no SDK client (nothing to compare with). */
  baselineBytes: number | null;
  sizeRatio: number | null;
  clients: string[];
  top: { name: string; kb: number }[];
  coldImportMs: number;
  baselineImportMs: number | null;
  importRatio: number | null;
  coldImportRssMb: number;
}

async function build(entry: string, outDir: string, stdin?: string) {
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, 'index.mjs');
  const result = await esbuild.build({
    ...LAMBDA_BUILD,
    ...(stdin
      ? { stdin: { contents: stdin, resolveDir: process.cwd(), loader: 'ts' } }
      : { entryPoints: [entry] }),
    outfile,
  });
  const [, output] = Object.entries(result.metafile!.outputs).find(([name]) => name.endsWith('.mjs'))!;
  return { outfile, bytes: statSync(outfile).size, metafile: result.metafile!, inputs: output.inputs };
}

/** One fresh process importing `file`; returns the import time and the peak RSS. */
function coldImport(file: string, env: Record<string, string>): { ms: number; rssMb: number } {
  const code = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); const ms = performance.now() - t; console.log(JSON.stringify({ ms, rssMb: process.resourceUsage().maxRSS / 1024 }));`;
  const out = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    env: { ...process.env, ...env, NODE_OPTIONS: '' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (out.status !== 0) throw new Error(`cold import of ${file} failed: ${out.stderr.slice(-1000)}`);
  return JSON.parse(out.stdout.trim().split('\n').pop()!) as { ms: number; rssMb: number };
}

export async function measureBundles(samples: number): Promise<BundleFigure[]> {
  const root = join(tmpdir(), `rex-bench-bundles-${process.pid}`);
  rmSync(root, { recursive: true, force: true });
  const figures: BundleFigure[] = [];
  const baselines = new Map<string, { outfile: string; bytes: number }>();
  try {
    for (const def of functionDefinitions) {
      const dir = join(root, def.id);
      const built = await build(resolve(def.entry), dir);
      copyFileSync('config/directory.example.json', join(dir, 'directory.json'));
      const byPackage = new Map<string, number>();
      for (const [input, info] of Object.entries(built.inputs)) {
        byPackage.set(packageOf(input), (byPackage.get(packageOf(input)) ?? 0) + info.bytesInOutput);
      }
      const clients = Object.keys(CLIENTS).filter((c) => byPackage.has(c));
      const key = clients.join(',');
      let baseline = baselines.get(key);
      if (!baseline) {
        const source = `const used: unknown[] = [];\n${clients.map((c) => CLIENTS[c]).join('\n')}\nexport default used;\n`;
        baseline = await build('', join(root, `baseline-${baselines.size}`), source);
        baselines.set(key, baseline);
      }
      writeFileSync(join(dir, 'analysis.txt'), await esbuild.analyzeMetafile(built.metafile));
      const env = {
        ...functionEnvironment({
          stage: 'bench',
          accountId: '000000000000',
          recordsTable: 'rex-bench-records',
          auditTable: 'rex-bench-audit',
          directoryFile: join(dir, 'directory.json'),
          queueUrlTemplate: 'http://127.0.0.1:9/000000000000/{name}',
        }),
        AWS_REGION: 'eu-central-1',
      };
      const fn: number[] = [];
      const base: number[] = [];
      const rss: number[] = [];
      // Interleaved, so that a noisy moment hits both alike.
      for (let i = 0; i < samples; i++) {
        const f = coldImport(built.outfile, env);
        fn.push(f.ms);
        rss.push(f.rssMb);
        base.push(coldImport(baseline.outfile, env).ms);
      }
      const top = [...byPackage.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 8)
        .map(([name, bytes]) => ({ name, kb: round(bytes / 1024, 1) }));
      figures.push({
        id: def.id,
        bytes: built.bytes,
        baselineBytes: clients.length > 0 ? baseline.bytes : null,
        sizeRatio: clients.length > 0 ? round(built.bytes / baseline.bytes, 3) : null,
        clients,
        top,
        coldImportMs: round(median(fn), 1),
        baselineImportMs: clients.length > 0 ? round(median(base), 1) : null,
        importRatio: clients.length > 0 ? round(median(fn) / median(base), 3) : null,
        coldImportRssMb: round(median(rss), 1),
      });
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return figures;
}
