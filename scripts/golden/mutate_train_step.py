#!/usr/bin/env python3
"""Mutation check of test/gpu/train-step-golden.test.ts: breaks one rule at a time (a backward rule, the AdamW
update, the gradient norm, the GPU miner, the trainer's objective), runs the test and expects it to fail, then
puts the file back as it was (the original text is rewritten even when the run is interrupted by an exception).

Run from anywhere: /usr/bin/python3 scripts/golden/mutate_train_step.py [--project gles|vulkan] [INDEX ...]
Prints one line per mutation (caught: the test failed, with its first assertion; SURVIVED: it passed) and exits 1
if any survived. Each mutation names the exact source text it replaces; a text that is no longer there stops the
run with an error (the list must follow the code).

One rule a train step cannot reach: the backward of a permute other than a 2-D transpose (the patchify permute
acts on the input pixels, which need no gradient), so "permute backward with perm instead of its inverse"
survives by construction; "permute backward without any transpose" (below) is caught through InfoNCE's logitsᵀ.
"""
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
TEST = 'test/gpu/train-step-golden.test.ts'

# (what, file, [(original text, mutated text), ...]) — a single pair may be given as two strings.
MUTATIONS = [
    ('layernorm dx: drop the −xh·mean(dxh·xh) term', 'shaders/layernorm_backward.wgsl', ' - xh * mean_dxh_xh);', ');'),
    ('layernorm dgamma: missing rstd', 'shaders/layernorm_backward.wgsl', 'dg += dy[i] * (x_in[i] - mean[row]) * rstd[row];', 'dg += dy[i] * (x_in[i] - mean[row]);'),
    ('layernorm dbeta ×1.001', 'shaders/layernorm_backward.wgsl', 'db += dy[i];', 'db += 1.001 * dy[i];'),
    ('GELU (erf) derivative: drop x·φ(x)', 'src/ops/activation.ts', " + x * ${INV_SQRT_2PI} * exp(-0.5 * x * x)`,", "`,"),
    ('GELU derivative ×1.001', 'src/ops/activation.ts', "deriv: `0.5 * (1.0 + erf_approx(x * ${SQRT_HALF})) + x * ${INV_SQRT_2PI} * exp(-0.5 * x * x)`,", "deriv: `1.001 * (0.5 * (1.0 + erf_approx(x * ${SQRT_HALF})) + x * ${INV_SQRT_2PI} * exp(-0.5 * x * x))`,"),
    ('attention dV ×1.001 (the streaming kernel the software adapters run)', 'shaders/attention_backward_dkdv_stream.wgsl', '= acc_dv[j];', '= acc_dv[j] * 1.001;'),
    ('attention dV = 0 (stream kernel)', 'shaders/attention_backward_dkdv_stream.wgsl', '= acc_dv[j];', '= vec4<f32>();'),
    ('attention dK without the 1/sqrt(d) scale', 'shaders/attention_backward_dkdv_stream.wgsl', '= acc_dk[j] * params.scale;', '= acc_dk[j];'),
    ('attention dQ ×1.001 (stream kernel)', 'shaders/attention_backward_dq_stream.wgsl', '= acc[i] * params.scale; }', '= acc[i] * params.scale * 1.001; }'),
    ('embedding: only the first position of each id', 'shaders/embedding_backward.wgsl', 'for (var k = start; k < end; k++)', 'for (var k = start; k < min(end, start + 1u); k++)'),
    ('l2normalize: drop the radial term', 'shaders/l2normalize_backward.wgsl', '(dy[base + j] - radial) / d', 'dy[base + j] / d'),
    ('l2normalize: radial term ×1.001', 'shaders/l2normalize_backward.wgsl', '(dy[base + j] - radial) / d', '(dy[base + j] - 1.001 * radial) / d'),
    ('matmul transB: dA = g·Bᵀ instead of g·B', 'src/ops/matmul.ts', 'matmul(g, b, { transB: !transB })', 'matmul(g, b, { transB: transB || !transB })'),
    ('matmul transB: dB ×1.001', 'src/ops/matmul.ts', [('(transB ? matmul(g, a, { transA: true, transB: transA })', "(transB ? unaryOp('scale', matmul(g, a, { transA: true, transB: transA }), 1.001)"), ("import { record } from '../autograd/graph.js';", "import { record } from '../autograd/graph.js';\nimport { unaryOp } from './elementwise.js';")], None),
    ('triplet: drop the cross-modal anchor term', 'shaders/medtrim_triplet_backward.wgsl', '      acc += w_anchor * (value(u32(q), k, !is_img) - value(u32(p), k, !is_img));\n', ''),
    ('triplet: sum instead of mean over anchors', 'shaders/medtrim_triplet_backward.wgsl', 'acc * g[0] * stats[1]', 'acc * g[0]'),
    ('triplet: η and 1−η swapped in the pull', 'shaders/medtrim_triplet_backward.wgsl', 'let pull = w_within * value(i, k, is_img) + w_target * value(i, k, !is_img);', 'let pull = w_target * value(i, k, is_img) + w_within * value(i, k, !is_img);'),
    ('cross-entropy: no 1/rows', 'shaders/cross_entropy_backward.wgsl', ' * params.inv_rows;', ';'),
    ('exp derivative = 1 (logit scale)', 'src/ops/elementwise.ts', "  exp: 'y',", "  exp: '1.0',"),
    ('tanh derivative 1 − y', 'src/ops/elementwise.ts', "  tanh: '1.0 - y * y',", "  tanh: '1.0 - y',"),
    ('scale derivative = 1', 'src/ops/elementwise.ts', "  scale: 'alpha',", "  scale: '1.0',"),
    ('mul: b gets g·b instead of g·a', 'src/ops/elementwise.ts', "[binary('mul', g, b), binary('mul', g, a)]", "[binary('mul', g, b), binary('mul', g, b)]"),
    ('broadcast backward: mean instead of sum over the batch', 'src/autograd/graph.ts', "step(reduce('sum', cur, 0, false));", "step(reduce('mean', cur, 0, false));"),
    ('AdamW: no clipping', 'shaders/adamw.wgsl', 'let clip = select(1.0, min(1.0, params.max_norm / (grad_norm[0] + 1e-6)), params.clip != 0u);', 'let clip = 1.0;'),
    ('AdamW: clip by ‖g‖² instead of ‖g‖', 'shaders/adamw.wgsl', 'params.max_norm / (grad_norm[0] + 1e-6)', 'params.max_norm / (grad_norm[0] * grad_norm[0] + 1e-6)'),
    ('grad norm: no sqrt', 'shaders/grad_norm.wgsl', 'grad_norm[0] = sqrt(total);', 'grad_norm[0] = total;'),
    ('AdamW: no weight decay', 'shaders/adamw.wgsl', 'param[i] * (1.0 - params.lr * params.weight_decay)', 'param[i]'),
    ('AdamW: L2 in the gradient instead of decoupled decay', 'shaders/adamw.wgsl', [('let g = grad[i] * clip;', 'let g = grad[i] * clip + params.weight_decay * param[i];'), ('let decayed = param[i] * (1.0 - params.lr * params.weight_decay);', 'let decayed = param[i];')], None),
    ('AdamW: weight decay not scaled by lr', 'shaders/adamw.wgsl', '(1.0 - params.lr * params.weight_decay)', '(1.0 - params.weight_decay)'),
    ('AdamW: no bias correction of m', 'shaders/adamw.wgsl', '(params.lr / params.bc1)', 'params.lr'),
    ('AdamW: no bias correction of v', 'shaders/adamw.wgsl', 'sqrt(vi) / params.sqrt_bc2', 'sqrt(vi)'),
    ('AdamW: eps inside the sqrt', 'shaders/adamw.wgsl', '(sqrt(vi) / params.sqrt_bc2 + params.eps)', 'sqrt(vi / (params.sqrt_bc2 * params.sqrt_bc2) + params.eps)'),
    ('miner: positive = argmin', 'shaders/mine_triplets.wgsl', 's > st.positive_score', 's < st.positive_score'),
    ('miner: positive ties go to the highest index', 'shaders/mine_triplets.wgsl', 's > st.positive_score', 's >= st.positive_score'),
    ('miner: fallback negative = lowest score below the band', 'shaders/mine_triplets.wgsl', 's > st.fallback_score', 's < st.fallback_score'),
    ('miner: semi-hard negative = highest score in the band', 'shaders/mine_triplets.wgsl', 's < st.band_score', 's > st.band_score'),
    ('permute backward passes g through (no transpose)', 'src/ops/layout.ts', '(g) => [permute(g, inverse)]', '(g) => [clone(g)]'),
    ('trainer: MedTrim also trains the logit scale', 'src/train/trainer.ts', "model.logitScale.requiresGrad = config.objective === 'infonce';", 'model.logitScale.requiresGrad = true;'),
    ('trainer: InfoNCE without the 1/2', 'src/train/trainer.ts', 'targets)), 0.5);', 'targets)), 1);'),
]


def run(project, name, path, pairs):
    file = ROOT / path
    original = file.read_text()
    mutated = original
    for old, new in pairs:
        if old not in mutated:
            raise SystemExit('%s: the text to mutate for "%s" is no longer there: %r' % (path, name, old))
        mutated = mutated.replace(old, new)
    file.write_text(mutated)
    try:
        r = subprocess.run(['npx', 'vitest', 'run', '--project', project, TEST], cwd=ROOT, capture_output=True, text=True, timeout=600)
    finally:
        file.write_text(original)
    out = re.sub(r'\x1b\[[0-9;]*m', '', r.stdout + r.stderr)
    summary = re.search(r'Tests\s+(.*)', out)
    errors = re.findall(r'^\w*Error[^\n]*', out, re.M)
    return r.returncode != 0, (summary.group(1).strip() if summary else 'no summary'), errors[:1]


def main():
    args = sys.argv[1:]
    project = 'gles'
    if '--project' in args:
        i = args.index('--project')
        project = args[i + 1]
        del args[i:i + 2]
    chosen = [int(a) for a in args] or range(len(MUTATIONS))
    survived = 0
    for i in chosen:
        name, path, old, new = MUTATIONS[i]
        pairs = old if isinstance(old, list) else [(old, new)]
        caught, summary, errors = run(project, name, path, pairs)
        survived += not caught
        print('[%d] %s: %s (%s)' % (i, name, 'caught' if caught else 'SURVIVED', summary))
        for e in errors:
            print('      ' + e[:240])
        sys.stdout.flush()
    sys.exit(1 if survived else 0)


if __name__ == '__main__':
    main()
