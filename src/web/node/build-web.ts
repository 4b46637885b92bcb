// Bundles the browser entry points (src/web/*.ts) into dist/web/ with esbuild: ESM, every shaders/**/*.wgsl
// embedded through the virtual module `medtrim:shaders`, the OBER ontology (ontology/*.json) through
// `medtrim:ontology`, wgsl_reflect bundled, and the Node-only pieces (Dawn's `webgpu` package, node:
// built-ins) left as imports that only the Node path ever reaches. Its command line: scripts/build-web.ts.
import { build, type Metafile, type Plugin } from 'esbuild';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { basename, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
export const WEB_SOURCE_DIR = join(ROOT, 'src/web');
export const WEB_BUNDLE_DIR = join(ROOT, 'dist/web');
const SHADER_DIR = join(ROOT, 'shaders');
const ONTOLOGY_DIR = join(ROOT, 'ontology');
/** Outside the served directory: it lists absolute source paths. */
const BUILD_INFO = join(ROOT, 'dist/web-build-info.json');
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

// Every .wgsl under shaders/: the kernels and the lib/ files they include.
function shaderFiles(): string[] {
  return readdirSync(SHADER_DIR, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.wgsl'))
    .sort()
    .map((f) => join(SHADER_DIR, f));
}

function ontologyFiles(): string[] {
  return readdirSync(ONTOLOGY_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => join(ONTOLOGY_DIR, f));
}

/** A virtual module `medtrim:NAME` whose default export is the table { key: file text } read at build time. */
function embedFiles(name: string, files: () => string[], key: (file: string) => string): Plugin {
  const namespace = `medtrim-${name}`;
  return {
    name: namespace,
    setup(b) {
      b.onResolve({ filter: new RegExp(`^medtrim:${name}$`) }, () => ({ path: `medtrim:${name}`, namespace }));
      b.onLoad({ filter: /.*/, namespace }, () => {
        const table = Object.fromEntries(files().map((f) => [key(f), readFileSync(f, 'utf8')]));
        return { contents: `export default ${JSON.stringify(table)};`, loader: 'js', watchFiles: files() };
      });
    },
  };
}

/** A shader's name: its path under shaders/ without `.wgsl` (`softmax`, `lib/row_layout`), as `#include` names it. */
function shaderName(file: string): string {
  return relative(SHADER_DIR, file)
    .replace(/\.wgsl$/, '')
    .split(sep)
    .join('/');
}

/** { shader name: WGSL text } of every shader, lib files included: the table the bundle embeds. */
export function shaderTable(): Record<string, string> {
  return Object.fromEntries(shaderFiles().map((f) => [shaderName(f), readFileSync(f, 'utf8')]));
}

/** `medtrim:shaders`: shaderTable() (see src/web/lib/boot.ts). */
const embedShaders = embedFiles('shaders', shaderFiles, shaderName);
/** `medtrim:ontology`: { 'classes.json': JSON text, … } of ontology/*.json. */
const embedOntology = embedFiles('ontology', ontologyFiles, (f) => basename(f));

/**
 * A static import of a Node-only module, by a page's entry file or any chunk it loads statically, would stop
 * the page from loading at all. Chunks reached only through dynamic import() (Node-only paths such as writing
 * a vocabulary file) are loaded only when called, so they may import Node modules.
 */
function assertNoStaticNodeImports(meta: Metafile): void {
  // esbuild also lists dynamically imported modules as entry points: only the pages' own ones count here.
  const pages = new Set(entryPoints().map((f) => relative(ROOT, f)));
  const entries = Object.keys(meta.outputs).filter((f) => pages.has(meta.outputs[f]!.entryPoint ?? ''));
  const seen = new Set<string>();
  const visit = (file: string, from: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const statics = meta.outputs[file]!.imports.filter((i) => i.kind === 'import-statement');
    const bad = statics.filter((i) => i.external && NODE_ONLY.includes(i.path));
    if (bad.length)
      throw new Error(
        `${file} (loaded by ${from}) imports Node-only ${bad.map((i) => `'${i.path}'`).join(', ')} statically; the browser cannot load it`,
      );
    for (const i of statics) if (!i.external && meta.outputs[i.path]) visit(i.path, from);
  };
  for (const entry of entries) visit(entry, entry);
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
    plugins: [embedShaders, embedOntology],
    metafile: true,
    logLevel: 'warning',
  });
  assertNoStaticNodeImports(result.metafile);
  const outputs: Record<string, number> = {};
  for (const [file, output] of Object.entries(result.metafile.outputs)) {
    if (!file.endsWith('.map')) outputs[file.replace(/^dist\/web\//, '')] = output.bytes;
  }
  const inputs = [
    ...Object.keys(result.metafile.inputs)
      .filter((i) => !i.startsWith('medtrim-'))
      .map((i) => join(ROOT, i)),
    ...shaderFiles(),
    ...ontologyFiles(),
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
  const added = [...entryPoints(), ...shaderFiles(), ...ontologyFiles()].find((f) => !known.has(f));
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
  log(
    `built ${WEB_BUNDLE_DIR} (${reason}): ${(built.totalBytes / 1024).toFixed(0)} KiB in ${built.milliseconds.toFixed(0)} ms`,
  );
  return built;
}
