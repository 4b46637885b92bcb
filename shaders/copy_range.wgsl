// dst[dst_offset + i] = src[src_offset + i] · scale for i < count: packs tensors into (and unpacks them
// from) the optimizer's flat buffers. scale 0 packs zeros for a parameter that received no gradient.
struct Params { count: u32, src_offset: u32, dst_offset: u32, scale: f32 }
override WG: u32 = 64u;
@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * WG;
  if (i >= params.count) { return; }
  dst[params.dst_offset + i] = src[params.src_offset + i] * params.scale;
}
