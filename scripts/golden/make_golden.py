#!/usr/bin/env python3
"""Writes PyTorch golden files for the engine's kernels into test/fixtures/golden/ (float64 torch).

Run with the Debian torch: /usr/bin/python3 scripts/golden/make_golden.py
Each file holds inputs, an output-gradient ("cotangent") and PyTorch's outputs and gradients; the tests
(test/gpu/golden.test.ts) only read these files, so CI needs no torch.
"""
import json
import math
import os

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'golden')
torch.manual_seed(20250415)
torch.set_default_dtype(torch.float64)


def flat(t):
    return [float('%.9g' % v) for v in t.detach().reshape(-1).tolist()]


def write(name, payload):
    path = os.path.join(OUT, name + '.json')
    with open(path, 'w') as f:
        json.dump(payload, f, separators=(',', ':'))
    print('%s: %d bytes' % (path, os.path.getsize(path)))


def leaf(*shape, lo=-2.0, hi=2.0):
    return (torch.rand(*shape) * (hi - lo) + lo).requires_grad_(True)


def with_grads(fn, inputs):
    y = fn(*inputs)
    cot = torch.rand_like(y) * 2 - 1
    grads = torch.autograd.grad(y, inputs, cot)
    return y, cot, grads


def layer_norm():
    x, g, b = leaf(5, 17), leaf(17), leaf(17)
    y, cot, (dx, dg, db) = with_grads(lambda x, g, b: F.layer_norm(x, (17,), g, b, eps=1e-5), [x, g, b])
    write('layernorm', {'shape': [5, 17], 'eps': 1e-5, 'x': flat(x), 'gamma': flat(g), 'beta': flat(b), 'cotangent': flat(cot),
                        'y': flat(y), 'dx': flat(dx), 'dgamma': flat(dg), 'dbeta': flat(db)})


def softmax():
    x = leaf(4, 17, lo=-6, hi=6)
    cases = {}
    for name, fn in (('softmax', lambda x: F.softmax(x, -1)), ('log_softmax', lambda x: F.log_softmax(x, -1))):
        y, cot, (dx,) = with_grads(fn, [x])
        cases[name] = {'cotangent': flat(cot), 'y': flat(y), 'dx': flat(dx)}
    write('softmax', {'shape': [4, 17], 'x': flat(x), **cases})


def gelu():
    x = torch.linspace(-6, 6, 97).requires_grad_(True)
    cases = {}
    for form in ('none', 'tanh'):
        y, cot, (dx,) = with_grads(lambda x: F.gelu(x, approximate=form), [x])
        cases['erf' if form == 'none' else 'tanh'] = {'cotangent': flat(cot), 'y': flat(y), 'dx': flat(dx)}
    write('gelu', {'x': flat(x), **cases})


class Block(torch.nn.Module):
    """Pre-LN transformer block with its own parameter names (test/gpu/golden.test.ts maps them to the encoder block's)."""

    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.ln1 = torch.nn.LayerNorm(dim)
        self.attn = torch.nn.Module()
        for name in ('q', 'k', 'v', 'out'):
            setattr(self.attn, name, torch.nn.Linear(dim, dim))
        self.ln2 = torch.nn.LayerNorm(dim)
        self.fc1 = torch.nn.Linear(dim, 4 * dim)
        self.fc2 = torch.nn.Linear(4 * dim, dim)

    def attention(self, x):
        b, t, d = x.shape
        hd = d // self.heads
        split = lambda z: z.reshape(b, t, self.heads, hd).transpose(1, 2)
        q, k, v = split(self.attn.q(x)), split(self.attn.k(x)), split(self.attn.v(x))
        p = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(hd), dim=-1)
        return self.attn.out((p @ v).transpose(1, 2).reshape(b, t, d))

    def forward(self, x):
        h = x + self.attention(self.ln1(x))
        return h + self.fc2(F.gelu(self.fc1(self.ln2(h))))


def transformer_block():
    dim, heads, batch, seq = 16, 2, 2, 5
    block = Block(dim, heads)
    with torch.no_grad():  # non-trivial layer-norm affine parameters
        for ln in (block.ln1, block.ln2):
            ln.weight.uniform_(0.5, 1.5)
            ln.bias.uniform_(-0.5, 0.5)
    x = leaf(batch, seq, dim)
    y = block(x)
    cot = torch.rand_like(y) * 2 - 1
    params = dict(block.named_parameters())
    grads = torch.autograd.grad(y, [x, *params.values()], cot)
    write('transformer_block', {
        'dim': dim, 'heads': heads, 'shape': [batch, seq, dim], 'x': flat(x), 'cotangent': flat(cot), 'y': flat(y), 'dx': flat(grads[0]),
        'params': {name: flat(p) for name, p in params.items()},
        'grads': {name: flat(g) for name, g, in zip(params.keys(), grads[1:])},
    })


def adamw():
    shapes = [[3, 4], [5]]
    options = {'lr': 0.01, 'beta1': 0.9, 'beta2': 0.999, 'eps': 1e-8, 'weightDecay': 0.1}
    initial = [torch.rand(*s) * 2 - 1 for s in shapes]
    grads = [[torch.rand(*s) * 2 - 1 for s in shapes] for _ in range(3)]
    cases = {}
    for name, max_norm in (('plain', 0.0), ('clipped', 0.5)):
        params = [p.clone().requires_grad_(True) for p in initial]
        opt = torch.optim.AdamW(params, lr=options['lr'], betas=(options['beta1'], options['beta2']), eps=options['eps'],
                                weight_decay=options['weightDecay'])
        after = []
        for step in grads:
            for p, g in zip(params, step):
                p.grad = g.clone()
            if max_norm > 0:
                torch.nn.utils.clip_grad_norm_(params, max_norm)
            opt.step()
            after.append([flat(p) for p in params])
        cases[name] = {'maxGradNorm': max_norm, 'after': after}
    write('adamw', {'shapes': shapes, 'options': options, 'initial': [flat(p) for p in initial],
                    'grads': [[flat(g) for g in step] for step in grads], **cases})


if __name__ == '__main__':
    os.makedirs(OUT, exist_ok=True)
    layer_norm()
    softmax()
    gelu()
    transformer_block()
    adamw()
