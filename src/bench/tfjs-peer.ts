// tfjs-backend-webgpu as a peer for benchmarks: same Dawn instance, same adapter as our runtime.
import type { GpuContext } from '../gpu/device.js';
import type { Tf } from './types.js';

/** The parts of tfjs's WebGPUBackend we use (its .d.ts pulls in DOM-only types). */
interface TfWebGpuBackend {
  device: GPUDevice;
  adapterInfo: { vendor: string; architecture: string };
  endComputePassEncoder(): void;
  submitQueue(): void;
  commandEncoder: GPUCommandEncoder | null;
}

export interface TfjsPeer {
  tf: Tf;
  /** Submits tfjs's pending commands and resolves when its device has finished them. */
  sync(): Promise<void>;
  /** What tfjs reports about the adapter it opened. */
  adapter: string;
}

/**
 * Starts tfjs's WebGPU backend on `gpu`'s Dawn instance. tfjs must ask for exactly one adapter and get one that
 * describes itself as ours does, else the comparison would be meaningless and this throws.
 */
export async function startTfjs(gpu: GpuContext): Promise<TfjsPeer> {
  if (!gpu.instance) throw new Error('tfjs peer: the GPU context was already released');
  const instance = gpu.instance;
  // On GLES only compatibility-mode adapters exist; tfjs asks without saying so.
  const handedOut: GPUAdapter[] = [];
  const requestAdapter = async (options?: GPURequestAdapterOptions) => {
    const adapter = await instance.requestAdapter(
      gpu.info.featureLevel === 'compatibility' ? { ...options, featureLevel: 'compatibility' } : options,
    );
    if (adapter) handedOut.push(adapter);
    return adapter;
  };
  const navigatorGpu = {
    requestAdapter,
    getPreferredCanvasFormat: () => 'rgba8unorm',
    wgslLanguageFeatures: new Set(),
  };
  Object.defineProperty(globalThis, 'navigator', { value: { gpu: navigatorGpu }, configurable: true, writable: true });
  const tf = await import('@tensorflow/tfjs');
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs peer: tf.setBackend("webgpu") failed');
  await tf.ready();
  const backend = tf.backend() as unknown as TfWebGpuBackend;
  const describe = (i: { vendor: string; architecture: string; device: string; description: string }) =>
    [i.vendor, i.architecture, i.device, i.description].filter(Boolean).join(' / ');
  const ours = describe(gpu.info);
  const theirs = handedOut.map((adapter) => describe(adapter.info));
  if (theirs.length !== 1 || theirs[0] !== ours)
    throw new Error(`tfjs peer: tfjs asked for adapters [${theirs.join('; ')}], ours is ${ours}`);
  if (backend.adapterInfo.vendor !== gpu.info.vendor)
    throw new Error(`tfjs peer: tfjs reports vendor '${backend.adapterInfo.vendor}', ours is '${gpu.info.vendor}'`);
  return {
    tf,
    adapter: theirs[0]!,
    async sync() {
      // tfjs keeps one compute pass open across dispatches; it must end before the encoder is finished.
      backend.endComputePassEncoder();
      if (backend.commandEncoder) backend.submitQueue();
      await backend.device.queue.onSubmittedWorkDone();
    },
  };
}
