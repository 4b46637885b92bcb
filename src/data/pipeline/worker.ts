// A decoding worker: takes jobs from the pipeline (src/data/pipeline/image-pipeline.ts) in order and puts
// each result, or its error, in the job's shared slot.
import { parentPort, workerData } from 'node:worker_threads';
import { Decoder, type DecodeJob, type DecodeSettings } from './decode-job.js';
import { SharedSlots, type SlotBuffers } from './shared-slots.js';

const { settings, buffers } = workerData as { settings: DecodeSettings; buffers: SlotBuffers };
const slots = new SharedSlots(buffers, settings.size * settings.size);
const decoder = new Decoder(settings);

parentPort!.on('message', (job: DecodeJob) => {
  try {
    slots.finish(job.slot, decoder.run(job));
  } catch (err) {
    slots.fail(job.slot, (err instanceof Error ? err.message : String(err)).split('\n')[0]!);
  }
});
