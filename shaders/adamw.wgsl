// AdamW over many parameters at once (the optimizer's arenas: param and grad at param_offset + i, the flat
// moments at moment_offset + i), with optional clipping by global gradient norm: the
// clip factor min(1, max_norm / (‖g‖ + 1e-6)) (PyTorch's clip_grad_norm_) comes from the norm that
// grad_norm.wgsl left in grad_norm[0], read at a uniform address — no host round trip, and no per-workgroup
// reduction (its barriers cost more than the update itself on the CPU adapters).
// Update (PyTorch AdamW): p ← p·(1 − lr·wd); m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
// p ← p − (lr / bc1)·m / (sqrt(v)/sqrt(bc2) + eps), with bc = 1 − β^t.
// Each invocation updates PER_INVOCATION elements, WG apart (neighbouring invocations, neighbouring elements).
struct Params {
  count: u32, param_offset: u32, moment_offset: u32, clip: u32,
  lr: f32, beta1: f32, beta2: f32, eps: f32, weight_decay: f32,
  bc1: f32, sqrt_bc2: f32, max_norm: f32,
}
#include "lib/prologue"
override PER_INVOCATION: u32 = 4u;
@group(0) @binding(0) var<storage, read_write> param: array<f32>;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> m: array<f32>;
@group(0) @binding(3) var<storage, read_write> v: array<f32>;
@group(0) @binding(4) var<storage, read> grad_norm: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let clip = select(1.0, min(1.0, params.max_norm / (grad_norm[0] + 1e-6)), params.clip != 0u);
  let first = linear_workgroup(wid, groups) * WG * PER_INVOCATION + lid;
  for (var e = 0u; e < PER_INVOCATION; e++) {
    let i = first + e * WG;
    if (i >= params.count) { return; }
    let p = params.param_offset + i;
    let s = params.moment_offset + i;
    let g = grad[p] * clip;
    let mi = params.beta1 * m[s] + (1.0 - params.beta1) * g;
    let vi = params.beta2 * v[s] + (1.0 - params.beta2) * g * g;
    m[s] = mi;
    v[s] = vi;
    let decayed = param[p] * (1.0 - params.lr * params.weight_decay);
    param[p] = decayed - (params.lr / params.bc1) * mi / (sqrt(vi) / params.sqrt_bc2 + params.eps);
  }
}
