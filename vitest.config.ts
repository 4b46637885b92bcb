import { defineConfig } from 'vitest/config';

// GPU tests run twice, once per software adapter (the engine must work on both); the rest run once.
const gpuTests = ['test/gpu/**/*.test.ts'];
export default defineConfig({
  test: {
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: { name: 'cpu', include: ['test/**/*.test.ts'], exclude: [...gpuTests, 'test/browser/**'] },
      },
      { extends: true, test: { name: 'gles', include: gpuTests, env: { MEDTRIM_BACKEND: 'gles' } } },
      { extends: true, test: { name: 'vulkan', include: gpuTests, env: { MEDTRIM_BACKEND: 'swiftshader' } } },
      {
        extends: true,
        // Pages in headless Chromium (SwiftShader WebGPU), compared with Node on the same SwiftShader.
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          globalSetup: ['test/browser/global-setup.ts'],
          env: { MEDTRIM_BACKEND: 'swiftshader' },
        },
      },
    ],
  },
});
