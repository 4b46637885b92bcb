// The ViT's mean pooling: the embedding is the projection of the mean over all tokens of the final hidden
// states (checked on the host from the same forward pass), its gradient reaches every token, and CLS
// pooling gives a different embedding from the same weights.
import { describe, expect, it } from 'vitest';
import { backward } from '../../src/autograd/backward.js';
import { sum } from '../../src/autograd/index.js';
import { VIT_PRESETS } from '../../src/models/config.js';
import { ViTEncoder } from '../../src/models/vit.js';
import { tensorFrom, tidyAsync } from '../../src/tensor/tensor.js';
import { expectClose, gpuRuntime, randomData } from '../helpers/gpu.js';

describe('ViT pooling', () => {
  it('mean pooling projects the mean of the final hidden states', async () => {
    const rt = await gpuRuntime();
    const config = { ...VIT_PRESETS.tiny, imageSize: 16, patchSize: 8, layers: 1, dropout: 0 };
    const meanVit = new ViTEncoder(rt, { ...config, pooling: 'mean' }, 3);
    const clsVit = new ViTEncoder(rt, config, 3);
    meanVit.eval();
    clsVit.eval();
    const batch = 3;
    const pixels = randomData(batch * 16 * 16, 5);
    await tidyAsync(async () => {
      const images = tensorFrom(rt, pixels, [batch, 1, 16, 16]);
      const out = meanVit.forward(images);
      const hidden = (await out.hidden.read()) as Float32Array;
      const weight = (await meanVit.projection.weight.read()) as Float32Array;
      const bias = (await meanVit.projection.bias!.read()) as Float32Array;
      const [seq, width, dim] = [out.hidden.shape[1]!, config.hidden, config.embedDim];
      const expected = new Float64Array(batch * dim);
      for (let b = 0; b < batch; b++) {
        for (let o = 0; o < dim; o++) {
          let acc = bias[o]!;
          for (let h = 0; h < width; h++) {
            let m = 0;
            for (let t = 0; t < seq; t++) m += hidden[(b * seq + t) * width + h]! / seq;
            acc += weight[o * width + h]! * m;
          }
          expected[b * dim + o] = acc;
        }
      }
      expectClose(await out.embedding.read(), expected, 1e-5, 1e-6);
      const cls = (await clsVit.forward(images).embedding.read()) as Float32Array;
      expect(Math.max(...cls.map((v, i) => Math.abs(v - expected[i]!)))).toBeGreaterThan(1e-3);
      meanVit.train();
      backward(sum(sum(meanVit.forward(images).embedding, 1), 0));
      // Every position embedding row (the CLS row and each patch's) gets a gradient through the mean.
      const g = (await meanVit.positionEmbedding.grad!.read()) as Float32Array;
      for (let t = 0; t < seq; t++)
        expect(Math.max(...g.subarray(t * width, (t + 1) * width).map(Math.abs))).toBeGreaterThan(0);
    });
    meanVit.dispose();
    clsVit.dispose();
  });
});
