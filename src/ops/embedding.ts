// Embedding lookup: forward is a gather of table rows (shaders/gather.wgsl), backward a deterministic
// scatter-add into the table's gradient (shaders/embedding_backward.wgsl); float64 references beside them.
import { clone, record } from '../autograd/graph.js';
import { grid1d } from '../gpu/runtime.js';
import type { HostTensor } from '../tensor/host.js';
import { Tensor } from '../tensor/tensor.js';
import { gather } from './layout.js';

const WG = 64;

/** table [vocab, dim], ids i32 of any shape → [...ids.shape, dim]; ids outside [0, vocab) give zero rows. */
export function embedding(table: Tensor, ids: Tensor): Tensor {
  if (table.rank !== 2) throw new Error(`embedding: table must be [vocab, dim], got [${table.shape.join(', ')}]`);
  if (ids.dtype !== 'i32') throw new Error(`embedding: ids must be i32, got ${ids.dtype}`);
  const [vocab, dim] = table.shape as [number, number];
  const rows = gather(table, ids.reshape([ids.size]), 0);
  // An owning tensor of the final shape (a reshape view would die with `rows` at the end of a tidy).
  const out = ids.rank === 1 ? rows : clone(rows.reshape([...ids.shape, dim]));
  if (out !== rows) rows.dispose();
  const rule = (g: Tensor) => {
    const dtable = new Tensor(table.runtime, table.shape);
    const kernel = table.runtime.kernel({ shader: 'embedding_backward', constants: { WG } });
    table.runtime.dispatch(kernel, { ids, dy: g, dtable }, { count: vocab * dim, dim, positions: ids.size }, grid1d(vocab * dim, WG));
    return [dtable];
  };
  return record('embedding', out, [table], rule);
}

export function embeddingRef(table: HostTensor, ids: ArrayLike<number>): HostTensor {
  const [vocab, dim] = table.shape as [number, number];
  const data = new Float64Array(ids.length * dim);
  for (let p = 0; p < ids.length; p++) {
    const id = ids[p]!;
    if (id >= 0 && id < vocab) data.set(table.data.subarray(id * dim, (id + 1) * dim), p * dim);
  }
  return { shape: [ids.length, dim], data };
}
