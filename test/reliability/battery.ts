/**
 * `npm run battery`: the reliability tier at full size (docs/reliability.md). Runs
 * `vitest run --project reliability` with REX_BATTERY=1 (each test reads its full sizes),
 * one file at a time (the figures of one promise are not disturbed by another's load),
 * collects the figures the tests write, writes bench/results/battery-<date>.json and
 * prints a summary. Sizes can still be overridden one by one (REX_EO_KEYS, …).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';

const figuresDir = mkdtempSync(join(tmpdir(), 'rex-battery-'));
const env = {
  ...process.env,
  REX_BATTERY: '1',
  REX_FIGURES_DIR: figuresDir,
  REX_FUZZ_RUNS: process.env.REX_FUZZ_RUNS ?? '10000',
};
const started = Date.now();
const code = await new Promise<number>((resolve) => {
  const child = spawn(
    'npx',
    ['vitest', 'run', '--project', 'reliability', '--no-file-parallelism', ...process.argv.slice(2)],
    {
      env,
      stdio: 'inherit',
    },
  );
  child.on('exit', (c) => resolve(c ?? 1));
});
const durationMs = Date.now() - started;

const figures = readdirSync(figuresDir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(join(figuresDir, f), 'utf8')) as Record<string, unknown>);
const date = new Date().toISOString().slice(0, 10);
const report = {
  date,
  passed: code === 0,
  durationMs,
  machine: { cpus: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
  env: { REX_FUZZ_RUNS: env.REX_FUZZ_RUNS },
  promises: figures,
};
mkdirSync('bench/results', { recursive: true });
const file = join('bench/results', `battery-${date}.json`);
writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);

const rows = figures.map((f) => ({
  promise: String(f.name),
  sizes: JSON.stringify(f.sizes ?? {}),
  outcome: JSON.stringify(f.outcome ?? {}),
}));
console.log(
  `\nreliability battery ${code === 0 ? 'passed' : 'FAILED'} in ${Math.round(durationMs / 1000)} s`,
);
console.table(rows);
console.log(`figures written to ${file}`);
process.exit(code);
