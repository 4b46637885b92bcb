#!/usr/bin/env python3
"""Writes two tiny Hugging Face model folders and PyTorch's forward pass on them, for `--init-image` /
`--init-text` (test/gpu/hf-init.test.ts):

  test/fixtures/hf/tiny-vit/   config.json (ViTConfig names), model.safetensors (ViTModel naming, with the pooler)
  test/fixtures/hf/tiny-bert/  config.json (BertConfig names), model.safetensors (BertModel naming, with the
                               pooler), vocab.txt (a small cased WordPiece vocabulary), tokenizer_config.json
                               (do_lower_case: false, as a cased model such as Bio_ClinicalBERT has)
  test/fixtures/hf/forward.safetensors   inputs and outputs: pixel_values → vit_hidden; input_ids,
                               attention_mask → bert_hidden, bert_pooled

The math is HF's ViTModel and BertModel written in plain torch (no `transformers` here): the functions of
scripts/golden/models.py (exact GELU, eps 1e-12, pre-LN ViT blocks with a final LayerNorm, post-LN BERT blocks
with an additive key-padding mask, pooler tanh(dense(h[:, 0]))). Neither folder has a projection head: the
run starts its own. Computed in float64 from float32-representable values, stored as F32.
Run: /usr/bin/python3 scripts/golden/hf_folders.py  (needs torch; CI only reads the committed files).
"""
import json
import pathlib
import sys

import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from models import EPS, Weights, block_weights, dense, gelu, layer_norm, self_attention, write_safetensors  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parents[2] / 'test' / 'fixtures' / 'hf'
VIT = dict(image_size=16, patch_size=8, num_channels=3, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
           intermediate_size=64, hidden_act='gelu', layer_norm_eps=EPS, hidden_dropout_prob=0.0, qkv_bias=True, model_type='vit')
VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', '.', ',', 'no', 'No', 'small', 'left', 'right', 'pleural', 'Pleural',
         'effusion', 'Effusion', 'heart', 'size', 'is', 'normal', 'mild', 'cardio', '##megaly', 'lung', '##s', 'clear',
         'FINDINGS', 'IMPRESSION', ':', 'the', 'The', 'pneumo', '##thorax', 'lower', 'lobe', 'opacity']
BERT = dict(vocab_size=len(VOCAB), hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
            hidden_act='gelu', max_position_embeddings=32, type_vocab_size=2, layer_norm_eps=EPS,
            hidden_dropout_prob=0.0, position_embedding_type='absolute', model_type='bert')
BATCH = 2
SEQ = 8
MASK = [[1, 1, 1, 1, 1, 1, 0, 0], [1] * SEQ]


def shape(cfg):
    return dict(hidden=cfg['hidden_size'], mlp=cfg['intermediate_size'])


def vit(io):
    w = Weights(3101)
    d, c, p = VIT['hidden_size'], VIT['num_channels'], VIT['patch_size']
    n = (VIT['image_size'] // p) ** 2
    conv_w = w.add('embeddings.patch_embeddings.projection.weight', d, c, p, p, std=1 / (c * p * p) ** 0.5)
    conv_b = w.add('embeddings.patch_embeddings.projection.bias', d, std=0.1)
    cls = w.add('embeddings.cls_token', 1, 1, d)
    pos = w.add('embeddings.position_embeddings', 1, n + 1, d)
    names = dict(q='attention.attention.query', k='attention.attention.key', v='attention.attention.value',
                 attn_norm='layernorm_before', mlp_norm='layernorm_after')
    blocks = [block_weights(w, shape(VIT), i, names) for i in range(VIT['num_hidden_layers'])]
    final_norm = w.layer_norm('layernorm', d)
    w.linear('pooler.dense', d, d)
    pixels = w.draw(BATCH, c, VIT['image_size'], VIT['image_size'], std=1.0)
    h = torch.cat([cls.expand(BATCH, 1, d), torch.nn.functional.conv2d(pixels, conv_w, conv_b, stride=p).flatten(2).transpose(1, 2)], 1) + pos
    for blk in blocks:
        h = h + dense(self_attention(layer_norm(h, blk['attn_norm']), blk['q'], blk['k'], blk['v'], VIT['num_attention_heads'], None), blk['attn_out'])
        h = h + dense(gelu(dense(layer_norm(h, blk['mlp_norm']), blk['inter'])), blk['out'])
    io.update(pixel_values=pixels, vit_hidden=layer_norm(h, final_norm))
    folder = OUT / 'tiny-vit'
    folder.mkdir(parents=True, exist_ok=True)
    (folder / 'config.json').write_text(json.dumps(VIT, indent=2) + '\n')
    write_safetensors(folder / 'model.safetensors', w.params, {'format': 'pt'})


def bert(io):
    w = Weights(3102)
    d = BERT['hidden_size']
    word = w.add('embeddings.word_embeddings.weight', BERT['vocab_size'], d)
    position = w.add('embeddings.position_embeddings.weight', BERT['max_position_embeddings'], d)
    token_type = w.add('embeddings.token_type_embeddings.weight', BERT['type_vocab_size'], d)
    emb_norm = w.layer_norm('embeddings.LayerNorm', d)
    names = dict(q='attention.self.query', k='attention.self.key', v='attention.self.value',
                 attn_norm='attention.output.LayerNorm', mlp_norm='output.LayerNorm')
    blocks = [block_weights(w, shape(BERT), i, names) for i in range(BERT['num_hidden_layers'])]
    pooler = w.linear('pooler.dense', d, d)
    gen = torch.Generator().manual_seed(11)
    ids = torch.randint(5, BERT['vocab_size'], (BATCH, SEQ), generator=gen)
    mask = torch.tensor(MASK)
    ids[mask == 0] = 0
    types = torch.zeros(BATCH, SEQ, dtype=torch.int64)
    h = layer_norm(word[ids] + position[torch.arange(SEQ)] + token_type[types], emb_norm)
    additive = (1.0 - mask[:, None, None, :].double()) * torch.finfo(torch.float64).min
    for blk in blocks:
        h = layer_norm(h + dense(self_attention(h, blk['q'], blk['k'], blk['v'], BERT['num_attention_heads'], additive), blk['attn_out']), blk['attn_norm'])
        h = layer_norm(h + dense(gelu(dense(h, blk['inter'])), blk['out']), blk['mlp_norm'])
    io.update(input_ids=ids, attention_mask=mask, bert_hidden=h, bert_pooled=torch.tanh(dense(h[:, 0], pooler)))
    folder = OUT / 'tiny-bert'
    folder.mkdir(parents=True, exist_ok=True)
    (folder / 'config.json').write_text(json.dumps(BERT, indent=2) + '\n')
    (folder / 'vocab.txt').write_text('\n'.join(VOCAB) + '\n')
    (folder / 'tokenizer_config.json').write_text(json.dumps({'do_lower_case': False}) + '\n')
    write_safetensors(folder / 'model.safetensors', w.params, {'format': 'pt'})


if __name__ == '__main__':
    io = {}
    vit(io)
    bert(io)
    write_safetensors(OUT / 'forward.safetensors', io, {'torch': torch.__version__, 'writer': 'scripts/golden/hf_folders.py'})
