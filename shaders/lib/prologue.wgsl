// The standard prologue of kernels over a flat range of items: WG, the invocations of a 1-D workgroup (its TS side
// sets it as an override constant), and the linear indices of a launch that src/gpu/runtime.ts grid1d folds into
// y when x would pass 65,535 workgroups.
override WG: u32 = 64u;

// The invocation's index among all invocations of the launch.
fn linear_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 { return gid.x + gid.y * groups.x * WG; }

// The workgroup's index among all workgroups of the launch.
fn linear_workgroup(wid: vec3<u32>, groups: vec3<u32>) -> u32 { return wid.x + wid.y * groups.x; }
