// The differentiable API in one place: every function here records its backward rule when an input
// requires a gradient (and grad mode is on). The rules live beside each op's kernels in src/ops/.
import { binaryOp, unaryOp } from '../ops/elementwise.js';
import { reduceOp } from '../ops/reduce.js';
import type { Tensor } from '../tensor/tensor.js';

export { backward, sumToShape } from './backward.js';
export { clone, detach, isGradEnabled, noGrad, record, requireGrad } from '../tensor/tape.js';
export { gelu, relu, tanh } from '../ops/activation.js';
export { attention } from '../ops/attention.js';
export { dropout } from '../ops/dropout.js';
export { embedding } from '../ops/embedding.js';
export { layerNorm, residualLayerNorm } from '../ops/layernorm.js';
export { broadcastToOp as broadcastTo, permuteOp as permute, reshapeOp as reshape } from '../ops/layout.js';
export { crossEntropy } from '../ops/loss.js';
export { matmulOp as matmul } from '../ops/matmul.js';
export { geluMlp } from '../ops/mlp.js';
export { cosineDistance, cosineSimilarity, l2normalize } from '../ops/normalize.js';
export { logSoftmax, softmax } from '../ops/softmax.js';
export { qkvAttention, useQkvFusion } from '../ops/qkv-attention.js';

export const add = (a: Tensor, b: Tensor): Tensor => binaryOp('add', a, b);
export const sub = (a: Tensor, b: Tensor): Tensor => binaryOp('sub', a, b);
export const mul = (a: Tensor, b: Tensor): Tensor => binaryOp('mul', a, b);
export const div = (a: Tensor, b: Tensor): Tensor => binaryOp('div', a, b);
export const scale = (x: Tensor, factor: number): Tensor => unaryOp('scale', x, factor);
export const neg = (x: Tensor): Tensor => unaryOp('neg', x);
export const exp = (x: Tensor): Tensor => unaryOp('exp', x);
export const log = (x: Tensor): Tensor => unaryOp('log', x);
export const square = (x: Tensor): Tensor => unaryOp('square', x);
export const sigmoid = (x: Tensor): Tensor => unaryOp('sigmoid', x);
export const sum = (x: Tensor, axis: number, keepDims = false): Tensor => reduceOp('sum', x, axis, keepDims);
export const mean = (x: Tensor, axis: number, keepDims = false): Tensor => reduceOp('mean', x, axis, keepDims);
