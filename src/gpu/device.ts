// Finds the best WebGPU adapter, opens a device with the adapter's own limits, and says what it took.
//
// Node (npm `webgpu`, Dawn) tries, in order: a native core adapter (Vulkan, Metal, D3D12); SwiftShader Vulkan
// (Debian chromium's ICD); OpenGL ES on llvmpipe in compatibility mode. The browser uses navigator.gpu.
// MEDTRIM_BACKEND (auto | native | swiftshader | gles) forces a backend; MEDTRIM_ADAPTER keeps only
// adapters whose description contains the given text. Everything above this file is the same on all of them.

import { paceDawnPolling } from './dawn-polling.js';

export type BackendChoice = 'auto' | 'native' | 'swiftshader' | 'gles';

export interface AcquireOptions {
  backend?: BackendChoice;
  /** Case-insensitive substring the adapter's vendor/architecture/device/description must contain. */
  adapterName?: string;
}

export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** How we reached it: 'native', 'swiftshader', 'gles' or 'browser'. */
  backend: string;
  featureLevel: 'core' | 'compatibility';
  isFallbackAdapter: boolean;
}

export interface OptionalFeatures {
  subgroups: boolean;
  timestampQuery: boolean;
  shaderF16: boolean;
}

export interface GpuContext {
  device: GPUDevice;
  adapter: GPUAdapter;
  info: AdapterDescription;
  features: OptionalFeatures;
  limits: Record<string, number>;
  /** The navigator.gpu or Dawn instance the adapter came from; release() drops it. */
  instance: GPU | null;
  /** Set once the device is lost, with Dawn's reason and message. */
  lost: GPUDeviceLostInfo | null;
  /** Destroys the device and drops the Dawn instance so the Node process can exit. */
  release(): void;
}

const SWIFTSHADER_ICDS = ['/usr/lib/chromium/vk_swiftshader_icd.json', '/usr/lib64/chromium/vk_swiftshader_icd.json'];
const WANTED_FEATURES: GPUFeatureName[] = ['subgroups', 'timestamp-query', 'shader-f16'];

interface Candidate {
  backend: string;
  featureLevel: 'core' | 'compatibility';
  open(): Promise<{ gpu: GPU; adapter: GPUAdapter | null } | null>;
}

/** Whether an adapter is a CPU rasterizer (SwiftShader, llvmpipe, …), by the names it reports. */
export function isSoftware(info: Pick<GPUAdapterInfo, 'vendor' | 'architecture' | 'device' | 'description'>): boolean {
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.toLowerCase();
  return /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render/.test(text);
}

async function nodeCandidates(): Promise<Record<Exclude<BackendChoice, 'auto'>, Candidate>> {
  const webgpu = await import('webgpu');
  paceDawnPolling();
  // GPUBufferUsage, GPUMapMode, GPUShaderStage… are globals in browsers; Dawn hands them over separately.
  Object.assign(globalThis, webgpu.globals);
  const native: Candidate = {
    backend: 'native',
    featureLevel: 'core',
    async open() {
      const gpu = webgpu.create([]) as GPU;
      const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
      return { gpu, adapter: adapter && !adapter.info.isFallbackAdapter && !isSoftware(adapter.info) ? adapter : null };
    },
  };
  const swiftshader: Candidate = {
    backend: 'swiftshader',
    featureLevel: 'core',
    async open() {
      const { existsSync } = await import('node:fs');
      const icd = process.env.VK_ICD_FILENAMES ?? SWIFTSHADER_ICDS.find((p) => existsSync(p));
      if (!icd) return null;
      // The Vulkan loader reads this when Dawn creates its Vulkan instance, i.e. inside create().
      process.env.VK_ICD_FILENAMES = icd;
      const gpu = webgpu.create(['backend=vulkan']) as GPU;
      const adapter = await gpu.requestAdapter();
      return {
        gpu,
        adapter: adapter && /swiftshader/i.test(adapter.info.architecture + adapter.info.description) ? adapter : null,
      };
    },
  };
  const gles: Candidate = {
    backend: 'gles',
    featureLevel: 'compatibility',
    async open() {
      // Without a display, Mesa's EGL must be told to run surfaceless or eglInitialize fails.
      process.env.EGL_PLATFORM ??= 'surfaceless';
      const gpu = webgpu.create(['backend=opengles']) as GPU;
      const adapter = await gpu.requestAdapter({ featureLevel: 'compatibility' });
      return { gpu, adapter };
    },
  };
  return { native, swiftshader, gles };
}

function browserCandidate(): Candidate {
  return {
    backend: 'browser',
    featureLevel: 'core',
    async open() {
      const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
      if (!gpu) return null;
      const adapter =
        (await gpu.requestAdapter({ powerPreference: 'high-performance' })) ??
        (await gpu.requestAdapter({ featureLevel: 'compatibility' } as GPURequestAdapterOptions));
      return { gpu, adapter };
    },
  };
}

function matchesName(info: GPUAdapterInfo, name: string | undefined): boolean {
  if (!name) return true;
  return `${info.vendor} ${info.architecture} ${info.device} ${info.description}`
    .toLowerCase()
    .includes(name.toLowerCase());
}

/** Every numeric limit the adapter reports, so a device asks for what the hardware has, not the defaults. */
function adapterLimits(adapter: GPUAdapter): Record<string, number> {
  const limits: Record<string, number> = {};
  for (
    let proto = adapter.limits as object;
    proto && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto)
  ) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      const value = (adapter.limits as unknown as Record<string, unknown>)[key];
      if (typeof value === 'number') limits[key] = value;
    }
  }
  return limits;
}

export async function acquireGpu(options: AcquireOptions = {}): Promise<GpuContext> {
  const env = typeof process !== 'undefined' ? process.env : {};
  const choice = (options.backend ?? (env.MEDTRIM_BACKEND as BackendChoice | undefined) ?? 'auto') as BackendChoice;
  const adapterName = options.adapterName ?? env.MEDTRIM_ADAPTER;
  const inNode =
    typeof process !== 'undefined' &&
    !!process.versions?.node &&
    !(globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu;

  let order: Candidate[];
  if (!inNode) order = [browserCandidate()];
  else {
    const c = await nodeCandidates();
    if (choice === 'auto') order = [c.native, c.swiftshader, c.gles];
    else if (choice in c) order = [c[choice as keyof typeof c]];
    else
      throw new Error(
        `backend '${choice}' (from --backend or MEDTRIM_BACKEND) is not one of auto, native, swiftshader, gles`,
      );
  }

  const tried: string[] = [];
  for (const candidate of order) {
    let opened: Awaited<ReturnType<Candidate['open']>> = null;
    try {
      opened = await candidate.open();
    } catch (err) {
      tried.push(`${candidate.backend}: ${err instanceof Error ? err.message : String(err)}`);
      continue;
    }
    if (!opened?.adapter) {
      tried.push(`${candidate.backend}: no adapter`);
      continue;
    }
    if (!matchesName(opened.adapter.info, adapterName)) {
      tried.push(`${candidate.backend}: adapter '${opened.adapter.info.description}' does not match '${adapterName}'`);
      continue;
    }
    return openDevice(opened.gpu, opened.adapter, candidate);
  }
  throw new Error(`no WebGPU adapter found (${tried.join('; ')})`);
}

async function openDevice(gpu: GPU, adapter: GPUAdapter, candidate: Candidate): Promise<GpuContext> {
  const requiredFeatures = WANTED_FEATURES.filter((f) => adapter.features.has(f));
  const requiredLimits = adapterLimits(adapter);
  const device = await adapter.requestDevice({ requiredFeatures, requiredLimits, label: 'medtrim' });
  const info = adapter.info;
  const coreFeatures = adapter.features.has('core-features-and-limits');
  const ctx: GpuContext = {
    device,
    adapter,
    info: {
      vendor: info.vendor,
      architecture: info.architecture,
      device: info.device,
      description: info.description,
      backend: candidate.backend,
      featureLevel: candidate.featureLevel === 'compatibility' && !coreFeatures ? 'compatibility' : 'core',
      isFallbackAdapter: !!info.isFallbackAdapter,
    },
    features: {
      subgroups: device.features.has('subgroups'),
      timestampQuery: device.features.has('timestamp-query'),
      shaderF16: device.features.has('shader-f16'),
    },
    limits: requiredLimits,
    instance: gpu,
    lost: null,
    release() {
      device.destroy();
      // Dawn keeps the Node event loop alive while its instance is referenced.
      ctx.instance = null;
    },
  };
  void device.lost.then((lostInfo) => {
    ctx.lost = lostInfo;
    if (lostInfo.reason !== 'destroyed') {
      console.error(`medtrim: GPU device lost (${lostInfo.reason}): ${lostInfo.message}`);
    }
  });
  return ctx;
}
