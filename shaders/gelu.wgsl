// GELU and its derivative for kernels that apply it in their store (included, not a kernel itself): the exact
// form through erf, and with GELU_TANH the tanh approximation. Each expression is, operation for operation,
// the one src/ops/activation.ts gives the activation and unary_backward kernels, so a fused GELU stores the
// same values. WGSL has no erf: erf_approx is Abramowitz & Stegun 7.1.26 (|error| ≤ 1.5e-7).
override GELU_TANH: bool = false;

fn erf_approx(z: f32) -> f32 {
  let a = abs(z);
  let t = 1.0 / (1.0 + 0.3275911 * a);
  let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return sign(z) * (1.0 - poly * exp(-a * a));
}

// tanh saturates in f32 past |u| = 10; the clamp keeps backends whose tanh overflows finite.
fn gelu_tanh_inner(x: f32) -> f32 {
  return tanh(clamp(0.7978845608028654 * (x + 0.044715 * x * x * x), -10.0, 10.0));
}

fn gelu(x: f32) -> f32 {
  if (GELU_TANH) { return 0.5 * x * (1.0 + gelu_tanh_inner(x)); }
  return 0.5 * x * (1.0 + erf_approx(x * 0.7071067811865476));
}

fn gelu_deriv(x: f32) -> f32 {
  if (GELU_TANH) {
    let t = gelu_tanh_inner(x);
    return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * 0.7978845608028654 * (1.0 + 0.134145 * x * x);
  }
  return 0.5 * (1.0 + erf_approx(x * 0.7071067811865476)) + x * 0.3989422804014327 * exp(-0.5 * x * x);
}
