/**
 * Builds the web pages: each folder of web/ with an `app.ts` is a page, bundled by
 * esbuild into one minified ES module `app.js` beside copies of the folder's
 * `.html` and `.css` files (and those of web/common/, base.css), under
 * `.build/web/<page>/` (git-ignored). The bundle
 * imports the very modules the server runs (shared/…); under esbuild's `browser`
 * platform the `#audit-crypto` port resolves to WebCrypto (package.json `imports`).
 *
 * Runs by itself after `npm ci` (postinstall), when the local platform starts, and
 * when CDK bundles the function that serves the pages; by hand:
 * `node --import tsx web/build.ts`. Deterministic: the same sources give the same
 * bytes (no source maps with absolute paths, no timestamps).
 */
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { type BuildOptions, build } from 'esbuild';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Where the built pages go: one folder per page. */
export const WEB_BUILD_DIR = join(PROJECT_ROOT, '.build', 'web');
const SOURCE_DIR = join(PROJECT_ROOT, 'web');
/** Static files every page gets (the common style sheet), beside its own. */
const COMMON_DIR = join(SOURCE_DIR, 'common');
const STATIC_FILE = /\.(?:html|css)$/;

/** The esbuild settings of every page bundle (the unit tests bundle with these too). */
export const bundleOptions = {
  bundle: true,
  format: 'esm',
  platform: 'browser',
  // Every browser the page supports has ES2022 and WebCrypto Ed25519 (docs/dpo-guide.md).
  target: 'es2022',
  minify: true,
  legalComments: 'eof',
  charset: 'utf8',
  absWorkingDir: PROJECT_ROOT,
  logLevel: 'silent',
} as const satisfies BuildOptions;

export interface BuiltPage {
  readonly page: string;
  /** Files written, relative to the page's output folder. */
  readonly files: readonly string[];
  /** Size of app.js, raw and gzip-compressed, in bytes. */
  readonly bytes: number;
  readonly gzipBytes: number;
}

export interface WebBuild {
  readonly outDir: string;
  readonly pages: readonly BuiltPage[];
  readonly milliseconds: number;
}

/** The pages: folders of web/ that hold an `app.ts`. */
export async function webPages(): Promise<string[]> {
  const pages: string[] = [];
  for (const entry of await readdir(SOURCE_DIR, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const isPage = await stat(join(SOURCE_DIR, entry.name, 'app.ts')).then(
      (s) => s.isFile(),
      () => false,
    );
    if (isPage) pages.push(entry.name);
  }
  return pages.sort();
}

/**
 * Builds every page into `outDir` (default .build/web), replacing what was there.
 * Each file is written under a temporary name and renamed, so a platform already
 * serving the folder (or a second build at the same time) never reads half a file.
 */
export async function buildWeb(outDir: string = WEB_BUILD_DIR): Promise<WebBuild> {
  const started = performance.now();
  const pages = await webPages();
  const built = await Promise.all(pages.map((page) => buildPage(page, join(outDir, page))));
  return { outDir, pages: built, milliseconds: Math.round(performance.now() - started) };
}

async function buildPage(page: string, outDir: string): Promise<BuiltPage> {
  const source = join(SOURCE_DIR, page);
  await mkdir(outDir, { recursive: true });
  const result = await build({
    ...bundleOptions,
    entryPoints: [join(source, 'app.ts')],
    outfile: join(outDir, 'app.js'),
    metafile: true,
    write: false,
  });
  const files: string[] = [];
  let script: Uint8Array = new Uint8Array();
  for (const file of result.outputFiles) {
    await writeAtomically(file.path, file.contents);
    files.push(relative(outDir, file.path));
    if (file.path.endsWith('app.js')) script = file.contents;
  }
  for (const folder of [COMMON_DIR, source]) {
    for (const name of (await readdir(folder)).sort()) {
      if (!STATIC_FILE.test(name)) continue;
      if (files.includes(name)) throw new Error(`web/${page}/${name} has the name of a common file`);
      await writeAtomically(join(outDir, name), await readFile(join(folder, name)));
      files.push(name);
    }
  }
  // A file the sources no longer produce (a renamed style sheet) must not be served.
  for (const name of await readdir(outDir)) {
    if (!files.includes(name) && !name.includes('.tmp-')) await rm(join(outDir, name), { force: true });
  }
  // What went into the bundle and how big each part is (esbuild.github.io/analyze).
  await writeAtomically(join(outDir, '..', `${page}.meta.json`), JSON.stringify(result.metafile));
  return {
    page,
    files: files.sort(),
    bytes: script.length,
    gzipBytes: gzipSync(script, { level: 9 }).length,
  };
}

async function writeAtomically(path: string, contents: Uint8Array | string): Promise<void> {
  const temporary = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  await writeFile(temporary, contents);
  await rename(temporary, path);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = await buildWeb(process.argv[2] ? resolve(process.argv[2]) : WEB_BUILD_DIR);
  for (const p of result.pages) {
    console.log(
      `web: ${p.page} → ${relative(process.cwd(), join(result.outDir, p.page)) || '.'} ` +
        `(app.js ${(p.bytes / 1024).toFixed(1)} KiB, ${(p.gzipBytes / 1024).toFixed(1)} KiB gzip) in ${result.milliseconds} ms`,
    );
  }
}
