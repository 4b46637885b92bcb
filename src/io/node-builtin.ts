// Node built-ins for modules that the browser bundle also loads (the vocabulary, the ontology): taken at call
// time through process.getBuiltinModule instead of a static import, which would stop the page from loading.
// Only the Node paths of those modules call this; in a browser it throws naming what needed the file system.

export function nodeBuiltin<T>(id: 'node:fs' | 'node:module', purpose: string): T {
  const proc = (globalThis as { process?: { getBuiltinModule?(id: string): unknown } }).process;
  const module = proc?.getBuiltinModule?.(id);
  if (!module) throw new Error(`${purpose} needs ${id}, which this environment does not have`);
  return module as T;
}
