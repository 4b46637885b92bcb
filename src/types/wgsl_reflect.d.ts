// Node resolves bare `wgsl_reflect` to its non-ESM build; the ESM build carries the same API.
declare module 'wgsl_reflect/wgsl_reflect.module.js' {
  export * from 'wgsl_reflect';
}
