// The WGSL table src/web/node/build-web.ts embeds in the browser bundle: { shader name: WGSL text }.
declare module 'medtrim:shaders' {
  const table: Record<string, string>;
  export default table;
}

// The OBER ontology files src/web/node/build-web.ts embeds: { 'classes.json': JSON text, … }.
declare module 'medtrim:ontology' {
  const table: Record<string, string>;
  export default table;
}
