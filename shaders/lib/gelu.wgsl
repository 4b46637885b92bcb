// Helpers of the GELU expressions of src/ops/activation.ts (forward in activation.wgsl, derivative in
// unary_backward.wgsl). WGSL has no erf: erf_approx is Abramowitz & Stegun 7.1.26 (|error| ≤ 1.5e-7).
fn erf_approx(z: f32) -> f32 {
  let a = abs(z);
  let t = 1.0 / (1.0 + 0.3275911 * a);
  let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return sign(z) * (1.0 - poly * exp(-a * a));
}

// d/dx of the tanh form 0.5·x·(1 + tanh(u)), u = √(2/π)·(x + 0.044715·x³); the clamp matches the forward's.
fn gelu_tanh_deriv(x: f32) -> f32 {
  let t = tanh(clamp(0.7978845608028654 * (x + 0.044715 * x * x * x), -10.0, 10.0));
  return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * 0.7978845608028654 * (1.0 + 0.134145 * x * x);
}
