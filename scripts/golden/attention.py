#!/usr/bin/env python3
"""Writes test/fixtures/golden/attention.json: scaled-dot-product attention with a key-padding mask, computed
by PyTorch autograd in float64 — inputs, output and the gradients of q, k, v for a fixed upstream gradient.

Tensors are in the BERT layout [batch, seq, heads*head_dim] (what medtrim's attention reads in place).
Run: /usr/bin/python3 scripts/golden/attention.py  (needs torch; CI only reads the committed JSON).
"""
import json
import math
import pathlib

import torch

BATCH, SEQ, HEADS, HEAD_DIM = 2, 7, 2, 16
KEEP = [[1, 1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1, 1]]
OUT = pathlib.Path(__file__).resolve().parents[2] / 'test' / 'fixtures' / 'golden' / 'attention.json'


def to_heads(x):
    """[batch, seq, heads*dim] -> [batch, heads, seq, dim]"""
    return x.view(BATCH, SEQ, HEADS, HEAD_DIM).transpose(1, 2)


def from_heads(x):
    return x.transpose(1, 2).reshape(BATCH, SEQ, HEADS * HEAD_DIM)


def main():
    gen = torch.Generator().manual_seed(2504_15929)
    # Inputs are drawn as float32 so the JSON holds exactly what the f32 kernels receive.
    draw = lambda: torch.randn(BATCH, SEQ, HEADS * HEAD_DIM, generator=gen, dtype=torch.float32).double()
    q, k, v, d_out = draw().requires_grad_(), draw().requires_grad_(), draw().requires_grad_(), draw()
    keep = torch.tensor(KEEP, dtype=torch.bool)
    scale = 1.0 / math.sqrt(HEAD_DIM)

    scores = to_heads(q) @ to_heads(k).transpose(-1, -2) * scale
    scores = scores.masked_fill(~keep[:, None, None, :], float('-inf'))
    out = from_heads(torch.softmax(scores, dim=-1) @ to_heads(v))
    out.backward(d_out)

    # Inputs with the shortest decimals that round back to the same float32; results to 12 significant digits.
    inputs = lambda t: [float(repr(x)) for x in t.detach().float().reshape(-1).numpy()]
    flat = lambda t: [float('%.12g' % x) for x in t.detach().reshape(-1)]
    fixture = {
        'about': 'attention with key padding, PyTorch %s float64 autograd; written by scripts/golden/attention.py' % torch.__version__,
        'layout': 'bshd',
        'batch': BATCH, 'seq': SEQ, 'heads': HEADS, 'headDim': HEAD_DIM, 'scale': scale,
        'keyPadding': KEEP,
        'q': inputs(q), 'k': inputs(k), 'v': inputs(v), 'dOut': inputs(d_out),
        'out': flat(out), 'dq': flat(q.grad), 'dk': flat(k.grad), 'dv': flat(v.grad),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(fixture) + '\n')
    print('wrote %s (%d bytes)' % (OUT, OUT.stat().st_size))


if __name__ == '__main__':
    main()
