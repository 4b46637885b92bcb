#!/usr/bin/env python3
"""Writes golden files for medtrim's ViT and BERT encoders: test/fixtures/golden/{vit,bert}-golden-*.safetensors.

There is no `transformers` package here, so the two models are written in plain torch, following the math of
Hugging Face's ViTModel and BertModel exactly: exact (erf) GELU, LayerNorm eps 1e-12, scores scaled by
1/sqrt(head_dim), ViT pre-LN blocks + final layernorm, BERT post-LN blocks with an additive key-padding mask
(finfo.min where attention_mask == 0) and the pooler tanh(dense(h[:, 0])). On top of both sits medtrim's
projection head (a Linear to the shared embedding size; not an HF tensor, named `projection.*`).

Per model, three files (safetensors written by hand: 8-byte little-endian header length, JSON header, raw
little-endian data):
  *-weights: random weights in HF naming (ViT also carries the HF pooler, which medtrim does not use; BERT
             uses the `bert.` prefix and the old LayerNorm gamma/beta spelling for the embedding LayerNorm,
             so the loader's alternatives are exercised),
  *-io:      inputs, the loss's fixed random cotangents, outputs (hidden, [pooled,] embedding, loss),
  *-grads:   d loss / d parameter for every parameter, in plain HF naming (weight/bias, no prefix),
for the scalar loss  sum(embedding * r_embedding) + sum(hidden * r_hidden).
Computed in float64 from float32-representable inputs and weights; stored as F32.
Run: /usr/bin/python3 scripts/golden/models.py  (needs torch; CI only reads the committed files).
"""
import json
import math
import pathlib
import struct

import torch

OUT = pathlib.Path(__file__).resolve().parents[2] / 'test' / 'fixtures' / 'golden'
EPS = 1e-12

VIT = dict(imageSize=16, patchSize=8, channels=3, hidden=32, layers=2, heads=2, mlp=64, layerNormEps=EPS, dropout=0.0, embedDim=16)
BERT = dict(vocabSize=100, maxPositions=16, typeVocabSize=2, hidden=32, layers=2, heads=2, mlp=64, layerNormEps=EPS, dropout=0.0, embedDim=16)
BATCH = 2
SEQ = 8
# Row 0 is padded after 5 tokens; row 1 is full.
ATTENTION_MASK = [[1, 1, 1, 1, 1, 0, 0, 0], [1] * SEQ]


def write_safetensors(path, tensors, metadata):
    header = {'__metadata__': metadata}
    blobs = []
    offset = 0
    for name, t in tensors.items():
        t = t.detach().contiguous()
        if t.dtype == torch.int64:
            dtype, raw = 'I64', t.numpy().astype('<i8').tobytes()
        else:
            dtype, raw = 'F32', t.to(torch.float32).numpy().astype('<f4').tobytes()
        header[name] = {'dtype': dtype, 'shape': list(t.shape), 'data_offsets': [offset, offset + len(raw)]}
        offset += len(raw)
        blobs.append(raw)
    text = json.dumps(header).encode('utf-8')
    text += b' ' * (-len(text) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)
    print('wrote %s (%d bytes)' % (path, 8 + len(text) + offset))


class Weights:
    """Random float32-representable weights held as float64 leaves that require gradients."""

    def __init__(self, seed):
        self.gen = torch.Generator().manual_seed(seed)
        self.params = {}

    def draw(self, *shape, mean=0.0, std=0.3):
        return (mean + std * torch.randn(*shape, generator=self.gen)).float().double()

    def add(self, name, *shape, mean=0.0, std=0.3):
        t = self.draw(*shape, mean=mean, std=std).requires_grad_()
        self.params[name] = t
        return t

    def linear(self, name, n_in, n_out):
        return self.add(name + '.weight', n_out, n_in, std=1 / math.sqrt(n_in)), self.add(name + '.bias', n_out, std=0.1)

    def layer_norm(self, name, n):
        return self.add(name + '.weight', n, mean=1.0, std=0.2), self.add(name + '.bias', n, std=0.1)


def dense(x, wb):
    return x @ wb[0].T + wb[1]


def layer_norm(x, wb):
    return torch.nn.functional.layer_norm(x, (x.shape[-1],), wb[0], wb[1], EPS)


def gelu(x):
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


def self_attention(x, q, k, v, heads, additive_mask):
    b, s, d = x.shape
    hd = d // heads
    split = lambda t: t.view(b, s, heads, hd).transpose(1, 2)
    scores = split(dense(x, q)) @ split(dense(x, k)).transpose(-1, -2) / math.sqrt(hd)
    if additive_mask is not None:
        scores = scores + additive_mask
    probs = torch.softmax(scores, dim=-1)
    return (probs @ split(dense(x, v))).transpose(1, 2).reshape(b, s, d)


def block_weights(w, cfg, i, names):
    p = 'encoder.layer.%d.' % i
    d, m = cfg['hidden'], cfg['mlp']
    return {
        'q': w.linear(p + names['q'], d, d), 'k': w.linear(p + names['k'], d, d), 'v': w.linear(p + names['v'], d, d),
        'attn_out': w.linear(p + 'attention.output.dense', d, d),
        'attn_norm': w.layer_norm(p + names['attn_norm'], d),
        'inter': w.linear(p + 'intermediate.dense', d, m), 'out': w.linear(p + 'output.dense', m, d),
        'mlp_norm': w.layer_norm(p + names['mlp_norm'], d),
    }


def vit_weights(w, cfg):
    """The ViT's parameters, drawn from w in a fixed order (the golden files depend on it)."""
    d, c, p = cfg['hidden'], cfg['channels'], cfg['patchSize']
    n = (cfg['imageSize'] // p) ** 2
    conv_w = w.add('embeddings.patch_embeddings.projection.weight', d, c, p, p, std=1 / math.sqrt(c * p * p))
    conv_b = w.add('embeddings.patch_embeddings.projection.bias', d, std=0.1)
    cls = w.add('embeddings.cls_token', 1, 1, d)
    pos = w.add('embeddings.position_embeddings', 1, n + 1, d)
    names = dict(q='attention.attention.query', k='attention.attention.key', v='attention.attention.value',
                 attn_norm='layernorm_before', mlp_norm='layernorm_after')
    blocks = [block_weights(w, cfg, i, names) for i in range(cfg['layers'])]
    final_norm = w.layer_norm('layernorm', d)
    projection = w.linear('projection', d, cfg['embedDim'])
    return dict(conv_w=conv_w, conv_b=conv_b, cls=cls, pos=pos, blocks=blocks, final_norm=final_norm, projection=projection)


def vit_forward(vw, cfg, pixels):
    """hidden [batch, tokens, hidden] and embedding [batch, embedDim] of pixels [batch, channels, size, size]."""
    d = cfg['hidden']
    patches = torch.nn.functional.conv2d(pixels, vw['conv_w'], vw['conv_b'], stride=cfg['patchSize']).flatten(2).transpose(1, 2)
    h = torch.cat([vw['cls'].expand(pixels.shape[0], 1, d), patches], dim=1) + vw['pos']
    for blk in vw['blocks']:  # pre-LN: x + attn(LN(x)), x + mlp(LN(x))
        h = h + dense(self_attention(layer_norm(h, blk['attn_norm']), blk['q'], blk['k'], blk['v'], cfg['heads'], None), blk['attn_out'])
        h = h + dense(gelu(dense(layer_norm(h, blk['mlp_norm']), blk['inter'])), blk['out'])
    hidden = layer_norm(h, vw['final_norm'])
    return hidden, dense(hidden[:, 0], vw['projection'])


def vit():
    cfg = VIT
    w = Weights(2504)
    vw = vit_weights(w, cfg)
    w.linear('pooler.dense', cfg['hidden'], cfg['hidden'])  # in HF files; medtrim's ViT has no pooler and the loader ignores it

    pixels = w.draw(BATCH, cfg['channels'], cfg['imageSize'], cfg['imageSize'], std=1.0)
    hidden, embedding = vit_forward(vw, cfg, pixels)
    io = {'pixel_values': pixels}
    outputs = {'hidden': hidden, 'embedding': embedding}
    trainable = {k: v for k, v in w.params.items() if not k.startswith('pooler.')}
    finish('vit-golden', cfg, w, trainable, io, outputs, weight_names=lambda k: k)


def bert_weights(w, cfg):
    """BERT's parameters, drawn from w in a fixed order (the golden files depend on it)."""
    d = cfg['hidden']
    word = w.add('embeddings.word_embeddings.weight', cfg['vocabSize'], d)
    position = w.add('embeddings.position_embeddings.weight', cfg['maxPositions'], d)
    token_type = w.add('embeddings.token_type_embeddings.weight', cfg['typeVocabSize'], d)
    emb_norm = w.layer_norm('embeddings.LayerNorm', d)
    names = dict(q='attention.self.query', k='attention.self.key', v='attention.self.value',
                 attn_norm='attention.output.LayerNorm', mlp_norm='output.LayerNorm')
    blocks = [block_weights(w, cfg, i, names) for i in range(cfg['layers'])]
    pooler = w.linear('pooler.dense', d, d)
    projection = w.linear('projection', d, cfg['embedDim'])
    return dict(word=word, position=position, token_type=token_type, emb_norm=emb_norm, blocks=blocks, pooler=pooler, projection=projection)


def bert_forward(bw, cfg, ids, mask, types):
    """hidden, pooled and embedding of token ids [batch, seq] with attention mask (0: padding) and token types."""
    seq = ids.shape[1]
    h = layer_norm(bw['word'][ids] + bw['position'][torch.arange(seq)] + bw['token_type'][types], bw['emb_norm'])
    additive = (1.0 - mask[:, None, None, :].double()) * torch.finfo(torch.float64).min
    for blk in bw['blocks']:  # post-LN: LN(x + attn(x)), LN(x + mlp(x))
        h = layer_norm(h + dense(self_attention(h, blk['q'], blk['k'], blk['v'], cfg['heads'], additive), blk['attn_out']), blk['attn_norm'])
        h = layer_norm(h + dense(gelu(dense(h, blk['inter'])), blk['out']), blk['mlp_norm'])
    pooled = torch.tanh(dense(h[:, 0], bw['pooler']))
    return h, pooled, dense(pooled, bw['projection'])


def bert():
    cfg = BERT
    w = Weights(15929)
    bw = bert_weights(w, cfg)

    gen = torch.Generator().manual_seed(7)
    ids = torch.randint(5, cfg['vocabSize'], (BATCH, SEQ), generator=gen)
    mask = torch.tensor(ATTENTION_MASK)
    ids[mask == 0] = 0  # [PAD]
    types = torch.tensor([[0, 0, 0, 1, 1, 0, 0, 0], [0, 0, 0, 0, 1, 1, 1, 1]])
    h, pooled, embedding = bert_forward(bw, cfg, ids, mask, types)
    io = {'input_ids': ids, 'attention_mask': mask, 'token_type_ids': types}
    outputs = {'hidden': h, 'pooled': pooled, 'embedding': embedding}

    def file_name(k):
        k = k.replace('embeddings.LayerNorm.weight', 'embeddings.LayerNorm.gamma').replace('embeddings.LayerNorm.bias', 'embeddings.LayerNorm.beta')
        return k if k.startswith('projection.') else 'bert.' + k
    finish('bert-golden', cfg, w, dict(w.params), io, outputs, weight_names=file_name)


def finish(stem, cfg, w, trainable, io, outputs, weight_names):
    r_embedding = w.draw(*outputs['embedding'].shape, std=1.0)
    r_hidden = w.draw(*outputs['hidden'].shape, std=1.0)
    loss = (outputs['embedding'] * r_embedding).sum() + (outputs['hidden'] * r_hidden).sum()
    loss.backward()
    meta = {'config': json.dumps(cfg), 'torch': torch.__version__, 'writer': 'scripts/golden/models.py'}
    write_safetensors(OUT / (stem + '-weights.safetensors'), {weight_names(k): v for k, v in w.params.items()}, meta)
    write_safetensors(OUT / (stem + '-grads.safetensors'), {k: v.grad for k, v in trainable.items()}, meta)
    io.update({'r_embedding': r_embedding, 'r_hidden': r_hidden, 'loss': loss.reshape(1)})
    io.update(outputs)
    write_safetensors(OUT / (stem + '-io.safetensors'), io, meta)


if __name__ == '__main__':
    OUT.mkdir(parents=True, exist_ok=True)
    vit()
    bert()
