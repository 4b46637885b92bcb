// Where WGSL sources come from: `shaders/<name>.wgsl` on disk in Node, an embedded table in the browser
// bundle (which calls setShaderSources at start-up). Nothing else in the engine knows the difference.

let embedded: Record<string, string> | null = null;
const cache = new Map<string, string>();

export function setShaderSources(sources: Record<string, string>): void {
  embedded = sources;
  cache.clear();
}

export function shaderSource(name: string): string {
  const cached = cache.get(name);
  if (cached !== undefined) return cached;
  let text: string;
  if (embedded) {
    if (!(name in embedded)) throw new Error(`shader '${name}' is not in the embedded shader table`);
    text = embedded[name]!;
  } else {
    const fs = (globalThis as { process?: { getBuiltinModule?(id: string): unknown } }).process?.getBuiltinModule?.(
      'node:fs',
    ) as typeof import('node:fs') | undefined;
    if (!fs) throw new Error(`no shader table embedded and no file system to read shaders/${name}.wgsl`);
    const url = new URL(`../../shaders/${name}.wgsl`, import.meta.url);
    try {
      text = fs.readFileSync(url, 'utf8');
    } catch (err) {
      throw new Error(`cannot read shader ${url.pathname}: ${(err as Error).message}`);
    }
  }
  cache.set(name, text);
  return text;
}
