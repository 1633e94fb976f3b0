/**
 * `npm run bench` (`-- --quick` for a short run): every figure next to a floor measured
 * in the same run, printed as a table and written to bench/results/<date>.json.
 * See docs/performance.md for how to read it.
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { runChild } from '#bench/lib/child.ts';
import { round, sane } from '#bench/lib/stats.ts';
import { functionDefaults } from '#infra/limits.ts';
import { measureBundles } from './bundles.ts';
import { measureEndToEnd } from './e2e.ts';
import { LATENCY_ANCHORS_MS, PRICES } from './prices.ts';

const quick = process.argv.includes('--quick');
const settings = quick
  ? {
      intakeIterations: 400,
      intakeRounds: 4,
      importSamples: 5,
      e2eSeconds: 6,
      consents: 400,
      appendSeconds: 3,
      auditEntries: 200_000,
      auditRounds: 2,
    }
  : {
      intakeIterations: 3000,
      intakeRounds: 10,
      importSamples: 21,
      e2eSeconds: 20,
      consents: 1400,
      appendSeconds: 10,
      auditEntries: 1_000_000,
      auditRounds: 3,
    };
const CONCURRENCY = 8;
const started = Date.now();
const log = (m: string) =>
  process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0)} s] ${m}\n`);

interface IntakeResult {
  roundTrips: Record<
    'accept' | 'duplicate' | 'refused',
    { status: number; calls: number; sequential: number; commands: string[] }
  >;
  requestBytes: Record<string, number>;
  cpu: { handlerMsPerReferral: number; floorMsPerReferral: number; ratio: number; ratios: number[] };
}
interface VerifyResult {
  entries: number;
  bytes: number;
  verifyEntriesPerSecond: number;
  rawSha256LinesPerSecond: number;
  ratio: number;
  peakRssMb: number;
}

log('1–2 intake: round trips and CPU against the stub');
const intake = await runChild<IntakeResult>('bench/intake.ts', [
  String(settings.intakeIterations),
  String(settings.intakeRounds),
]);
log('3 bundles and cold imports');
const bundles = await measureBundles(settings.importSamples);
log('4–7 local platform under load, audit appends');
const e2e = await measureEndToEnd({
  concurrency: CONCURRENCY,
  seconds: settings.e2eSeconds,
  consents: settings.consents,
  appendWriters: 32,
  appendSeconds: settings.appendSeconds,
});
log('5 audit verification');
const verify = await runChild<VerifyResult>('bench/audit-verify.ts', [
  String(settings.auditEntries),
  String(settings.auditRounds),
]);

// 6. Cost per referral: counted units and requests; Lambda duration estimated from the
// measured CPU plus published latencies of the calls each function makes per referral.
const per = e2e.perReferral;
const gb = functionDefaults.memorySizeMb / 1024;
const intakeMs =
  intake.cpu.handlerMsPerReferral + LATENCY_ANCHORS_MS.singleItem + LATENCY_ANCHORS_MS.transactWrite;
const otherCalls = Math.max(0, per.dynamodbCalls - 2);
const relayMs =
  otherCalls * LATENCY_ANCHORS_MS.singleItem +
  per.sqsRelayRequests * LATENCY_ANCHORS_MS.singleItem +
  intake.cpu.handlerMsPerReferral;
const gbSeconds = ((intakeMs + relayMs) / 1000) * gb;
const dollars = {
  dynamodbWrites: per.writeUnits * PRICES.dynamodbWriteRequestUnitPerMillion,
  dynamodbReads: per.readUnits * PRICES.dynamodbReadRequestUnitPerMillion,
  sqs: (per.sqsRelayRequests + 2) * PRICES.sqsFifoRequestPerMillion,
  lambdaDuration: gbSeconds * PRICES.lambdaArmGbSecond * 1_000_000,
  lambdaRequests: (1 + 1 / 25) * PRICES.lambdaRequestPerMillion,
  apiGateway: PRICES.apiGatewayRestPerMillion,
};
const perMillion = Object.values(dollars).reduce((a, b) => a + b, 0);

// Sanity: nonsense fails the run, slowness does not.
sane('intake CPU', intake.cpu.handlerMsPerReferral, { max: 1000 });
sane('floor CPU', intake.cpu.floorMsPerReferral, { max: 1000 });
for (const b of bundles) {
  sane(`${b.id} bytes`, b.bytes, { min: 1000 });
  sane(`${b.id} cold import`, b.coldImportMs, { max: 60_000 });
}
sane('referrals/s', e2e.referralsPerSecond);
sane('raw TransactWriteItems/s', e2e.rawTransactPerSecond);
if (e2e.queue.seen !== e2e.accepted)
  throw new Error(`only ${e2e.queue.seen} of ${e2e.accepted} referrals reached a queue`);
sane('verification rate', verify.verifyEntriesPerSecond);
sane('raw SHA-256 rate', verify.rawSha256LinesPerSecond);
sane('draft appends/s', e2e.append.draftsPerSecond);
sane('head-item appends/s', e2e.append.headItemChainPerSecond);
sane('cost', perMillion, { max: 100_000 });

const goal = (ok: boolean) => (ok ? 'met' : 'MISSED');
const rows: [string, string, string, string, string][] = [
  [
    '1 round trips (accept / duplicate / refused)',
    `${intake.roundTrips.accept.sequential} / ${intake.roundTrips.duplicate.sequential} / ${intake.roundTrips.refused.sequential}`,
    'sequential SDK calls',
    '≤ 2 accept',
    goal(intake.roundTrips.accept.sequential <= 2),
  ],
  [
    '2 intake CPU per referral',
    `${intake.cpu.handlerMsPerReferral} ms`,
    `floor ${intake.cpu.floorMsPerReferral} ms → ${intake.cpu.ratio}×`,
    '≤ 1.3×',
    goal(intake.cpu.ratio <= 1.3),
  ],
  ...bundles.map((b): [string, string, string, string, string] => [
    `3 ${b.id}`,
    `${round(b.bytes / 1024, 0)} KB, ${b.coldImportMs} ms`,
    b.sizeRatio === null
      ? 'no SDK client'
      : `SDK-only ${round(b.baselineBytes! / 1024, 0)} KB ${b.baselineImportMs} ms → ${b.sizeRatio}× / ${b.importRatio}×`,
    '≤ 1.25×, ≤ 450 KB',
    goal(b.bytes <= 450 * 1024 && (b.sizeRatio === null || (b.sizeRatio <= 1.25 && b.importRatio! <= 1.25))),
  ]),
  [
    '4 referrals/s through the gateway',
    `${e2e.referralsPerSecond}/s (p50 ${e2e.latencyMs.p50} ms, p99 ${e2e.latencyMs.p99} ms)`,
    `raw TransactWriteItems ${e2e.rawTransactPerSecond}/s → ${e2e.ratio}×`,
    '≥ 0.5×',
    goal(e2e.ratio >= 0.5),
  ],
  [
    '4 accepted → visible in queue',
    `p50 ${e2e.queue.p50Ms} ms, p99 ${e2e.queue.p99Ms} ms`,
    `${e2e.queue.seen} referrals`,
    'p50 ≤ 250 ms, p99 ≤ 1 s',
    goal(e2e.queue.p50Ms <= 250 && e2e.queue.p99Ms <= 1000),
  ],
  [
    '5 audit verification',
    `${verify.verifyEntriesPerSecond} entries/s`,
    `raw SHA-256 ${verify.rawSha256LinesPerSecond} lines/s → ${verify.ratio}×`,
    '≥ 0.7×, ≥ 500k/s',
    goal(verify.ratio >= 0.7 && verify.verifyEntriesPerSecond >= 500_000),
  ],
  [
    '5 audit append, 32 writers',
    `${e2e.append.draftsPerSecond}/s`,
    `head item ${e2e.append.headItemChainPerSecond}/s → ${e2e.append.ratio}×`,
    '≥ 5×',
    goal(e2e.append.ratio >= 5),
  ],
  [
    '6 cost per million referrals',
    `$${round(perMillion, 2)}`,
    `WRU ${per.writeUnits}, RRU ${per.readUnits}, ${round(gbSeconds, 4)} GB-s per referral`,
    '≤ $10',
    goal(perMillion <= 10),
  ],
  [
    '7 peak RSS',
    `platform ${e2e.memory.platformPeakRssMb} MB`,
    `DynamoDB Local ${e2e.memory.dynamodbLocalPeakRssMb} MB; imports ${Math.min(...bundles.map((b) => b.coldImportRssMb))}–${Math.max(...bundles.map((b) => b.coldImportRssMb))} MB`,
    '(information)',
    '',
  ],
];
const widths = [0, 1, 2, 3, 4].map((i) => Math.max(...rows.map((r) => r[i]!.length), 8));
const line = (r: readonly string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join(' │ ');
process.stdout.write(
  `${line(['figure', 'value', 'floor and ratio', 'goal', ''])}\n${widths.map((w) => '─'.repeat(w)).join('─┼─')}\n${rows.map(line).join('\n')}\n`,
);

const date = new Date().toISOString().slice(0, 10);
const result = {
  date: new Date().toISOString(),
  mode: quick ? 'quick' : 'full',
  settings: { ...settings, concurrency: CONCURRENCY },
  machine: {
    cpus: cpus().length,
    model: cpus()[0]?.model ?? 'unknown',
    memoryGb: round(totalmem() / 2 ** 30, 1),
    node: process.version,
  },
  intake,
  bundles,
  endToEnd: e2e,
  auditVerification: verify,
  cost: {
    prices: PRICES,
    latencyAnchorsMs: LATENCY_ANCHORS_MS,
    lambdaMemoryMb: functionDefaults.memorySizeMb,
    estimatedLambdaMsPerReferral: round(intakeMs + relayMs, 1),
    gbSecondsPerReferral: round(gbSeconds, 5),
    dollarsPerMillionReferrals: Object.fromEntries(Object.entries(dollars).map(([k, v]) => [k, round(v, 3)])),
    totalPerMillion: round(perMillion, 2),
  },
  seconds: Math.round((Date.now() - started) / 1000),
};
mkdirSync('bench/results', { recursive: true });
const file = `bench/results/${date}${quick ? '-quick' : ''}.json`;
writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
log(`written ${file}`);
