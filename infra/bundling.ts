/**
 * How every function is bundled: the one definition read by the CDK construct
 * (infra/constructs/function.ts, `NodejsFunction` bundling) and by the bench
 * (bench/bundles.ts, esbuild directly), so that what is measured is what is deployed.
 *
 * - ESM for Node 22, minified, with the AWS SDK pinned in package-lock.json bundled
 *   instead of the runtime's copy, so a deployment runs exactly the code that was tested.
 * - `mainFields`: a package's ES module entry point first (`module`), so esbuild sees
 *   `import`/`export` and leaves out what nothing uses; CommonJS (`main`) otherwise.
 * - A source map beside the bundle, without the sources, for reading a stack trace
 *   after the fact. The runtime does not load it (no `--enable-source-maps`): with it,
 *   Node parses the map on the first error and keeps it in memory, on the hot path of
 *   every function.
 * - ESM bundles have no `require`; CommonJS dependencies inside need one (the banner).
 */
export const LAMBDA_BUNDLING = {
  format: 'esm',
  platform: 'node',
  target: 'node22',
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  mainFields: ['module', 'main'],
  externalModules: [] as string[],
  banner:
    "import { createRequire as topLevelCreateRequire } from 'node:module'; const require = topLevelCreateRequire(import.meta.url);",
} as const;
