// GELU and its derivative, the one definition of both: the activation and unary_backward kernels call the form
// src/ops/activation.ts names, and a kernel that applies GELU in its store (matmul's epilogue) calls gelu(), the
// same form chosen by GELU_TANH, so fused and unfused give the same bits: the exact form through erf, and the
// tanh approximation. WGSL has no erf:
// erf_approx is Abramowitz & Stegun 7.1.26 (|error| ≤ 1.5e-7).
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

// d/dx of the tanh form 0.5·x·(1 + tanh(u)), u = √(2/π)·(x + 0.044715·x³).
fn gelu_tanh_deriv(x: f32) -> f32 {
  let t = gelu_tanh_inner(x);
  return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * 0.7978845608028654 * (1.0 + 0.134145 * x * x);
}

fn gelu_erf(x: f32) -> f32 { return 0.5 * x * (1.0 + erf_approx(x * 0.7071067811865476)); }

fn gelu_erf_deriv(x: f32) -> f32 {
  return 0.5 * (1.0 + erf_approx(x * 0.7071067811865476)) + x * 0.3989422804014327 * exp(-0.5 * x * x);
}

fn gelu_tanh(x: f32) -> f32 { return 0.5 * x * (1.0 + gelu_tanh_inner(x)); }

// The form a fused store applies, chosen by GELU_TANH.
fn gelu(x: f32) -> f32 {
  if (GELU_TANH) { return gelu_tanh(x); }
  return gelu_erf(x);
}

fn gelu_deriv(x: f32) -> f32 {
  if (GELU_TANH) { return gelu_tanh_deriv(x); }
  return gelu_erf_deriv(x);
}
