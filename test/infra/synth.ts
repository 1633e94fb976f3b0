import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp, PROJECT_ROOT } from '#infra/app.ts';
import type { ReferralExchangeStack } from '#infra/stack.ts';
import { loadDirectory } from '#shared/adapters/directory-file.ts';

export const STAGE = 'test';
export const DIRECTORY_FILE = join(PROJECT_ROOT, 'config/directory.example.json');
export const directory = loadDirectory(DIRECTORY_FILE);

/** A policy-validation (cdk-nag) violation as the cloud assembly's report lists it. */
export interface Violation {
  readonly plugin: string;
  readonly rule: string;
  readonly paths: readonly string[];
}

export interface Synthesised {
  readonly stack: ReferralExchangeStack;
  readonly outdir: string;
  readonly template: Template;
  /** The raw template, for walking every resource. */
  readonly json: { Resources: Record<string, CfnResource>; Outputs?: Record<string, unknown> };
  /** What synthesis threw (cdk-nag violations stop it), if anything. */
  readonly synthError: unknown;
  readonly violations: readonly Violation[];
}

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

/** Reads the validation report CDK writes into the cloud assembly. */
export function readViolations(outdir: string): Violation[] {
  const file = join(outdir, 'validation-report.json');
  if (!existsSync(file)) return [];
  const report = JSON.parse(readFileSync(file, 'utf8')) as {
    pluginReports?: {
      pluginName: string;
      violations?: { ruleName: string; violatingConstructs?: { constructPath: string }[] }[];
    }[];
  };
  return (report.pluginReports ?? []).flatMap((p) =>
    (p.violations ?? []).map((v) => ({
      plugin: p.pluginName,
      rule: v.ruleName,
      paths: (v.violatingConstructs ?? []).map((c) => c.constructPath),
    })),
  );
}

/**
 * Synthesises the stack offline (local esbuild, no Docker, no AWS account) with the
 * example directory (or another), the way `cdk synth` does, including the cdk-nag plugins.
 */
export function synthesise(options: { readonly directoryFile?: string } = {}): Synthesised {
  const outdir = mkdtempSync(join(tmpdir(), 'rex-infra-'));
  const { app, stack } = buildApp({
    stage: STAGE,
    directoryFile: options.directoryFile ?? DIRECTORY_FILE,
    outdir,
    region: 'eu-central-1',
  });
  let synthError: unknown;
  try {
    app.synth();
  } catch (error) {
    // The templates are written before the validation plugins run; the report says why.
    synthError = error;
  }
  const json = JSON.parse(readFileSync(join(outdir, stack.templateFile), 'utf8')) as Synthesised['json'];
  return {
    stack,
    outdir,
    template: Template.fromJSON(json),
    json,
    synthError,
    violations: readViolations(outdir),
  };
}

/** Resources of a type, by logical id. */
export function resourcesOfType(json: Synthesised['json'], type: string): [string, CfnResource][] {
  return Object.entries(json.Resources).filter(([, r]) => r.Type === type);
}

/** The logical id a `{ "Fn::GetAtt": [id, attr] }` or `{ Ref: id }` points at. */
export function referencedId(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.Ref === 'string') return v.Ref;
  const getAtt = v['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  return undefined;
}

export interface PolicyStatement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource?: unknown;
  readonly Condition?: unknown;
}

/** Every permission statement of every IAM policy and inline role policy, with its owner's logical id. */
export function permissionStatements(
  json: Synthesised['json'],
): { policyId: string; roles: string[]; statement: PolicyStatement }[] {
  const out: { policyId: string; roles: string[]; statement: PolicyStatement }[] = [];
  for (const [id, r] of Object.entries(json.Resources)) {
    const props = r.Properties ?? {};
    const push = (doc: unknown, roles: string[]) => {
      for (const statement of ((doc as { Statement?: PolicyStatement[] })?.Statement ??
        []) as PolicyStatement[]) {
        out.push({ policyId: id, roles, statement });
      }
    };
    if (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') {
      const roles = ((props.Roles as unknown[]) ?? []).map((x) => referencedId(x) ?? String(x));
      push(props.PolicyDocument, roles);
    }
    if (r.Type === 'AWS::IAM::Role') {
      for (const p of (props.Policies as { PolicyDocument: unknown }[] | undefined) ?? [])
        push(p.PolicyDocument, [id]);
    }
  }
  return out;
}

export const asArray = <T>(v: T | T[] | undefined): T[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v];
