// Bundles the browser entry points (src/web/*.ts) into dist/web/ with esbuild: ESM, every shaders/*.wgsl
// embedded through the virtual module `medtrim:shaders`, wgsl_reflect bundled, and the Node-only pieces
// (Dawn's `webgpu` package, node: built-ins) left as imports that only the Node path ever reaches.
//   npx tsx scripts/build-web.ts [--if-stale]
import { build, type Metafile, type Plugin } from 'esbuild';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const WEB_SOURCE_DIR = join(ROOT, 'src/web');
export const WEB_BUNDLE_DIR = join(ROOT, 'dist/web');
const SHADER_DIR = join(ROOT, 'shaders');
/** Outside the served directory: it lists absolute source paths. */
const BUILD_INFO = join(ROOT, 'dist/web-build-info.json');
const SHADER_MODULE = 'medtrim:shaders';
/** Loaded only on the Node path of src/gpu/device.ts (dynamic imports the browser never executes). */
const NODE_ONLY = ['webgpu', ...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export interface WebBuild {
  /** Output file → bytes. */
  outputs: Record<string, number>;
  totalBytes: number;
  milliseconds: number;
}

interface BuildInfo {
  builtAt: number;
  inputs: string[];
  outputs: Record<string, number>;
}

function entryPoints(): string[] {
  return readdirSync(WEB_SOURCE_DIR)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => join(WEB_SOURCE_DIR, f));
}

function shaderFiles(): string[] {
  return readdirSync(SHADER_DIR)
    .filter((f) => f.endsWith('.wgsl'))
    .map((f) => join(SHADER_DIR, f));
}

/** `medtrim:shaders` exports the table { name: WGSL text } of every file in shaders/, read at build time. */
const embedShaders: Plugin = {
  name: 'medtrim-shaders',
  setup(b) {
    b.onResolve({ filter: /^medtrim:shaders$/ }, () => ({ path: SHADER_MODULE, namespace: 'medtrim-shaders' }));
    b.onLoad({ filter: /.*/, namespace: 'medtrim-shaders' }, () => {
      const table = Object.fromEntries(shaderFiles().map((f) => [basename(f, '.wgsl'), readFileSync(f, 'utf8')]));
      return { contents: `export default ${JSON.stringify(table)};`, loader: 'js', watchFiles: shaderFiles() };
    });
  },
};

/** A static import of a Node-only module would stop the page from loading at all; only dynamic ones may stay. */
function assertNoStaticNodeImports(meta: Metafile): void {
  for (const [file, output] of Object.entries(meta.outputs)) {
    const bad = output.imports.filter((i) => i.external && i.kind === 'import-statement' && NODE_ONLY.includes(i.path));
    if (bad.length) throw new Error(`${file} imports Node-only ${bad.map((i) => `'${i.path}'`).join(', ')} statically; the browser cannot load it`);
  }
}

export async function buildWeb(): Promise<WebBuild> {
  const started = performance.now();
  const startedAt = Date.now();
  // Chunk names carry a content hash, so a build over an old one would leave stale chunks behind.
  rmSync(WEB_BUNDLE_DIR, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: entryPoints(),
    outdir: WEB_BUNDLE_DIR,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    sourcemap: 'linked',
    minify: true,
    external: NODE_ONLY,
    plugins: [embedShaders],
    metafile: true,
    logLevel: 'warning',
  });
  assertNoStaticNodeImports(result.metafile);
  const outputs: Record<string, number> = {};
  for (const [file, output] of Object.entries(result.metafile.outputs)) {
    if (!file.endsWith('.map')) outputs[file.replace(/^dist\/web\//, '')] = output.bytes;
  }
  const inputs = [
    ...Object.keys(result.metafile.inputs).filter((i) => !i.startsWith('medtrim-shaders:')).map((i) => join(ROOT, i)),
    ...shaderFiles(),
    fileURLToPath(import.meta.url),
  ];
  // The start time, so that a source saved during the build still makes the next check rebuild.
  const info: BuildInfo = { builtAt: startedAt, inputs, outputs };
  writeFileSync(BUILD_INFO, JSON.stringify(info, null, 2) + '\n');
  const totalBytes = Object.values(outputs).reduce((s, b) => s + b, 0);
  return { outputs, totalBytes, milliseconds: performance.now() - started };
}

/** Why the bundle must be rebuilt, or null when it is up to date with every file it was built from. */
export function staleReason(): string | null {
  if (!existsSync(BUILD_INFO)) return 'no bundle yet';
  const info = JSON.parse(readFileSync(BUILD_INFO, 'utf8')) as BuildInfo;
  const known = new Set(info.inputs);
  const added = [...entryPoints(), ...shaderFiles()].find((f) => !known.has(f));
  if (added) return `${added} is new`;
  for (const file of info.inputs) {
    if (!existsSync(file)) return `${file} is gone`;
    if (statSync(file).mtimeMs > info.builtAt) return `${file} changed`;
  }
  const missing = Object.keys(info.outputs).find((f) => !existsSync(join(WEB_BUNDLE_DIR, f)));
  return missing ? `${missing} is missing` : null;
}

/** Builds the bundle when it is missing or older than its sources; says what it did on `log`. */
export async function ensureWebBundle(log: (line: string) => void = () => {}): Promise<WebBuild | null> {
  const reason = staleReason();
  if (!reason) return null;
  const built = await buildWeb();
  log(`built ${WEB_BUNDLE_DIR} (${reason}): ${(built.totalBytes / 1024).toFixed(0)} KiB in ${built.milliseconds.toFixed(0)} ms`);
  return built;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const ifStale = process.argv.includes('--if-stale');
  const run = ifStale ? ensureWebBundle(console.log) : buildWeb();
  run.then(
    (built) => {
      if (!built) console.log(`${WEB_BUNDLE_DIR} is up to date`);
      else if (!ifStale) {
        for (const [file, bytes] of Object.entries(built.outputs)) console.log(`${file.padEnd(40)} ${(bytes / 1024).toFixed(1)} KiB`);
        console.log(`total ${(built.totalBytes / 1024).toFixed(1)} KiB in ${built.milliseconds.toFixed(0)} ms`);
      }
    },
    (err: unknown) => {
      console.error(`build-web: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 1;
    },
  );
}
