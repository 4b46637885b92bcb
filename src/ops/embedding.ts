// Embedding lookup: forward is a gather of table rows (shaders/gather.wgsl), backward a deterministic
// scatter-add into the table's gradient (shaders/embedding_*.wgsl); float64 references beside them.
//
// The backward sorts positions by id without float atomics and without a host round trip: count each id's
// positions (integer atomics), prefix-sum the counts into offsets, drop every position into its id's bucket,
// order each bucket by position, then sum each hit row's output gradients in ascending position order.
// Buckets of up to √N positions are ordered by ranking (count² compares each), longer ones by one scan of
// the ids (N steps each, at most √N such buckets), so the work is O(N·dim + V + N^1.5) for a [V, dim]
// table and N positions, instead of the O(V·dim·N) of scanning all positions for every table entry.
import { clone, record } from '../tensor/tape.js';
import { grid1d, kernelDefs, type Runtime } from '../gpu/runtime.js';
import type { HostTensor } from '../tensor/host.js';
import { Tensor } from '../tensor/tensor.js';
import { gather } from './layout.js';

const WG = 64;
/** The offsets scan runs in one workgroup; 256 fits every adapter's limit we request. */
const SCAN_WG = 256;

/** table [vocab, dim], ids i32 of any shape → [...ids.shape, dim]; ids outside [0, vocab) give zero rows. */
export function embedding(table: Tensor, ids: Tensor): Tensor {
  if (table.rank !== 2) throw new Error(`embedding: table must be [vocab, dim], got [${table.shape.join(', ')}]`);
  if (ids.dtype !== 'i32') throw new Error(`embedding: ids must be i32, got ${ids.dtype}`);
  const [vocab, dim] = table.shape as [number, number];
  const rows = gather(table, ids.reshape([ids.size]), 0);
  // An owning tensor of the final shape (a reshape view would die with `rows` at the end of a tidy).
  const out = ids.rank === 1 ? rows : clone(rows.reshape([...ids.shape, dim]));
  if (out !== rows) rows.dispose();
  return record('embedding', out, [table], (g, { into }) => [embeddingBackward(ids, g, vocab, into[0])]);
}

/**
 * The table gradient [vocab, dim] for output gradient dy [...ids.shape, dim]: row v is the sum of dy's rows
 * at the positions whose id is v, added in ascending position order (bit-identical on every run); ids
 * outside [0, vocab) contribute nothing. `into`, when given, receives it instead of a fresh tensor.
 */
export function embeddingBackward(ids: Tensor, dy: Tensor, vocab: number, into?: Tensor | null): Tensor {
  const rt = dy.runtime;
  const positions = ids.size;
  const dim = dy.shape.at(-1) ?? 1;
  if (dy.size !== positions * dim) {
    throw new Error(`embeddingBackward: gradient [${dy.shape.join(', ')}] does not match ${positions} ids`);
  }
  if (into && into.size !== vocab * dim)
    throw new Error(`embeddingBackward: output [${into.shape.join(', ')}] given for a table of [${vocab}, ${dim}]`);
  const dtable = into ?? new Tensor(rt, [vocab, dim]);
  rt.clear(dtable);
  const counts = new Tensor(rt, [vocab], 'u32');
  const offsets = new Tensor(rt, [vocab], 'u32');
  const slots = new Tensor(rt, [positions], 'u32');
  const bucket = new Tensor(rt, [positions], 'u32');
  const order = new Tensor(rt, [positions], 'u32');
  rt.clear(counts);
  const ordering = { positions, vocab, long: Math.ceil(Math.sqrt(positions)) };
  const byPosition = grid1d(positions, WG);
  rt.dispatch(kernel(rt, 'embedding_count'), { ids, counts, slots }, { positions, vocab }, byPosition);
  rt.dispatch(
    rt.kernelOf(embeddingDef('embedding_offsets'), { WG: Math.min(SCAN_WG, rt.maxInvocations) }),
    { counts, offsets },
    { vocab },
    [1],
  );
  rt.dispatch(kernel(rt, 'embedding_bucket'), { ids, offsets, slots, bucket }, { positions, vocab }, byPosition);
  rt.dispatch(kernel(rt, 'embedding_order'), { ids, counts, offsets, bucket, order }, ordering, byPosition);
  rt.dispatch(kernel(rt, 'embedding_order_long'), { ids, counts, offsets, order }, ordering, grid1d(vocab, WG));
  rt.dispatch(
    kernel(rt, 'embedding_backward'),
    { ids, dy, counts, offsets, order, dtable },
    { count: positions * dim, dim, vocab },
    grid1d(positions * dim, WG),
  );
  for (const t of [counts, offsets, slots, bucket, order]) t.dispose();
  return dtable;
}

const embeddingDef = kernelDefs((shader: string) => ({ shader }));

function kernel(rt: Runtime, shader: string) {
  return rt.kernelOf(embeddingDef(shader), { WG });
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
