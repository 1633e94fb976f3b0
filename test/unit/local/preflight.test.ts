import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chromiumProblem, javaMajor, MIN_NODE, nodeProblem } from '#local/preflight.ts';

describe('preflight: what npm ci cannot install is named before anything starts', () => {
  it('holds the same oldest Node as package.json engines', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      engines: { node: string };
    };
    expect(pkg.engines.node).toMatch(new RegExp(`^>=${MIN_NODE.replaceAll('.', '\\.')}( |$)`));
  });

  it('refuses Node older than the minimum in one sentence that says how to run it', () => {
    const problem = nodeProblem('v20.20.2', '/usr/bin/node');
    expect(problem).toContain(`Node.js ${MIN_NODE} or newer`);
    expect(problem).toContain('v20.20.2 (/usr/bin/node)');
    expect(problem).toContain('npm ci');
    expect(problem).not.toContain('\n');
    expect(nodeProblem('v22.22.1')).toBeDefined();
    expect(nodeProblem('v22.5.0')).toBeDefined();
  });

  it('accepts the minimum and anything newer', () => {
    expect(nodeProblem('v22.22.2')).toBeUndefined();
    expect(nodeProblem('v22.23.3')).toBeUndefined();
    expect(nodeProblem('v24.0.0')).toBeUndefined();
  });

  it('reads the Java major version from both numbering schemes', () => {
    expect(javaMajor('openjdk version "17.0.15" 2025-04-15')).toBe(17);
    expect(javaMajor('java version "1.8.0_392"')).toBe(8);
    expect(javaMajor('openjdk version "21" 2023-09-19')).toBe(21);
    expect(javaMajor('no version here')).toBe(0);
  });

  it('names the Debian package when Chromium is missing', () => {
    expect(chromiumProblem('/nonexistent/chromium')).toMatch(/apt-get install chromium/);
  });
});
