// `medtrim info [--json] [--backend B] [--adapter NAME]`: which adapter the engine takes, its limits and features.
import { parseArgs } from 'node:util';
import { acquireGpu, type BackendChoice } from '../../gpu/device.js';
import type { Command } from '../command.js';

const HELP = `usage: medtrim info [--json] [--backend auto|native|swiftshader|gles] [--adapter NAME]

Opens the best WebGPU adapter (or the one forced by --backend / MEDTRIM_BACKEND and --adapter /
MEDTRIM_ADAPTER) and prints its vendor, architecture, backend, feature level, the limits the engine
requested and the optional features it enabled.`;

const SHOWN_LIMITS = [
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
];

const info: Command = {
  summary: 'print the WebGPU adapter the engine chose, its limits and features',
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        json: { type: 'boolean' },
        backend: { type: 'string' },
        adapter: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    const gpu = await acquireGpu({ backend: values.backend as BackendChoice | undefined, adapterName: values.adapter });
    try {
      const report = { adapter: gpu.info, features: gpu.features, limits: gpu.limits };
      if (values.json) console.log(JSON.stringify(report, null, 2));
      else {
        const a = gpu.info;
        console.log(`adapter       ${a.description} (${a.vendor || 'unknown vendor'} / ${a.architecture || a.device})`);
        console.log(
          `backend       ${a.backend}, feature level ${a.featureLevel}${a.isFallbackAdapter ? ', fallback adapter' : ''}`,
        );
        console.log(
          `features      ${
            Object.entries(gpu.features)
              .filter(([, on]) => on)
              .map(([f]) => f)
              .join(', ') || 'none of subgroups, timestampQuery, shaderF16'
          }`,
        );
        for (const key of SHOWN_LIMITS) console.log(`${key.padEnd(34)} ${gpu.limits[key]}`);
      }
    } finally {
      gpu.release();
    }
    return 0;
  },
};
export default info;
