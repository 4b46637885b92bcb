#!/usr/bin/env python3
"""Golden files for one whole training step of the dual encoder (src/train/trainer.ts): ViT + BERT, dropout 0,
on a fixed batch of 6, for the MedTrim and the InfoNCE objectives — the loss, every parameter's gradient, and
the parameters' change after one AdamW step with clipping by global gradient norm.

The encoders are models.py's (Hugging Face's ViTModel / BertModel math in plain torch). On top:
  embeddings   l2-normalised (F.normalize, eps 1e-12), as DualEncoder.embedImages / embedTexts do;
  MedTrim      the score matrix of src/mining/score.ts and the miner of src/mining/mine-cpu.ts, reimplemented
               here in exact rational arithmetic (mining is not differentiable: only its indices matter; the
               test asserts the GPU miner finds the same ones), then the four-term triplet loss of
               medtrim_loss.py with margin α and weight η;
  InfoNCE      logits = (img · txtᵀ) · exp(logitScale), loss = (CE(logits) + CE(logitsᵀ)) / 2 with the
               diagonal as targets (trainer.ts objectiveLoss); the temperature is a trained parameter;
  optimizer    torch.nn.utils.clip_grad_norm_ then torch.optim.AdamW with one parameter group: every trained
               parameter decays, biases, LayerNorm and the logit scale included — what src/ops/optim.ts does.
               MedTrim does not train the logit scale (the trainer sets requiresGrad false), so it has no
               gradient and is not stepped.
maxGradNorm is half the batch's gradient norm, so clipping engages. AdamW's eps is of the order of the
clipped gradients' entries: with eps far below them (the default 1e-8) a first Adam step is lr·sign(g), which
hides both a wrong clip factor and a wrong gradient scale, and turns float32 rounding noise in gradients that
are exactly zero in exact arithmetic (the attention key biases') into full ±lr steps.

Files (safetensors, F32 unless noted; float64 computation from float32-representable weights and inputs):
  train-step-golden-batch:   weights under our module prefixes with HF names ('image.' + ViT HF name,
                             'text.' + BERT HF name, 'logitScale'), the batch (pixel_values, input_ids,
                             attention_mask, token_type_ids as I64), and in the metadata the encoder configs,
                             the training settings and the batch's entity sets;
  train-step-golden-medtrim, train-step-golden-infonce:  loss, grad_norm (before clipping), max_grad_norm,
                             'grad.' + name and 'update.' + name (parameter after the step minus before) for
                             every trained parameter; MedTrim also the mined positives / negatives (I64).
Run: /usr/bin/python3 scripts/golden/train_step.py  (needs torch; CI only reads the committed files).
"""
import json
import math
from fractions import Fraction

import torch

from models import EPS, OUT, Weights, bert_forward, bert_weights, vit_forward, vit_weights, write_safetensors

VIT = dict(imageSize=16, patchSize=8, channels=1, hidden=16, layers=2, heads=2, mlp=32, layerNormEps=EPS, dropout=0.0, embedDim=8)
BERT = dict(vocabSize=40, maxPositions=12, typeVocabSize=2, hidden=16, layers=2, heads=2, mlp=32, layerNormEps=EPS, dropout=0.0, embedDim=8)
BATCH = 6
SEQ = 10
LENGTHS = [10, 7, 5, 10, 8, 6]  # tokens before padding, per report
PAD, CLS = 0, 2
INITIAL_LOGIT_SCALE = math.log(1 / 0.07)  # trainer.ts's CLIP initialisation

# Training settings: trainer.ts reads lr, weightDecay, maxGradNorm, margin, eta, tauMin, tauMax and gammas from
# its TrainConfig (warm-up 0, so step 0 trains at the peak lr); eps goes to the AdamW the test builds.
SETTINGS = dict(lr=0.01, weightDecay=0.1, beta1=0.9, beta2=0.999, eps=1e-2, margin=0.3, eta=0.4, tauMin=0.25, tauMax=0.6,
                gammas=dict(disease=0.85, adjective=0.1, direction=0.05))

# Entity sets found by a search over small random sets (clinical plausibility was not a goal) such that in-batch
# mining meets every case a wrong miner could get wrong: a positive tied between two candidates (the lower index
# wins), a semi-hard band holding several scores (the lowest wins), fallback negatives with several scores
# below the band (the highest wins), and an anchor without a valid triplet (the report without findings); with
# no ties or near-ties that float32 could order differently from exact arithmetic (all checked below).
ENTITIES = [
    {'Nodule': {'adjectives': ['mild'], 'directions': ['bilateral']}, 'Cardiomegaly': {'adjectives': ['mild'], 'directions': ['left', 'right']}},
    {'Pneumothorax': {'adjectives': ['small'], 'directions': ['lower']}, 'Atelectasis': {'adjectives': [], 'directions': []},
     'Nodule': {'adjectives': ['small'], 'directions': ['lower']}},
    {},
    {'Nodule': {'adjectives': ['mild'], 'directions': []}},
    {'Cardiomegaly': {'adjectives': ['large'], 'directions': ['bilateral', 'left']}, 'Nodule': {'adjectives': ['mild'], 'directions': ['bilateral', 'lower']}},
    {'Cardiomegaly': {'adjectives': ['mild'], 'directions': ['lower']}, 'Pleural Effusion': {'adjectives': [], 'directions': ['left', 'right']},
     'Atelectasis': {'adjectives': [], 'directions': ['lower']}},
]


def set_ratio(inter, union):
    return Fraction(1) if union == 0 else Fraction(inter, union)


def iou(a, b):
    a, b = set(a), set(b)
    return set_ratio(len(a & b), len(a | b))


def score_terms(a, r):
    """(Jaccard, adjective mean, direction mean) of anchor a against r, with score.ts's empty-set conventions."""
    shared = [d for d in a if d in r]
    jaccard = set_ratio(len(shared), len(set(a) | set(r)))
    if not a:
        return jaccard, jaccard, jaccard
    adjective = sum((iou(a[d]['adjectives'], r[d]['adjectives']) for d in shared), Fraction(0)) / len(a)
    direction = sum((iou(a[d]['directions'], r[d]['directions']) for d in shared), Fraction(0)) / len(a)
    return jaccard, adjective, direction


def score(terms):
    g = SETTINGS['gammas']
    return sum(Fraction(str(w)) * t for w, t in zip((g['disease'], g['adjective'], g['direction']), terms))


def pick(row, skip, accept, better):
    best = -1
    for j, s in enumerate(row):
        if j in skip or not accept(s):
            continue
        if best < 0 or better(s, row[best]):
            best = j
    return best


def mine(entities):
    """mine-cpu.ts: positive = argmax S, negative = argmin S in the semi-hard band, else the highest below it."""
    tau_min, tau_max = Fraction(str(SETTINGS['tauMin'])), Fraction(str(SETTINGS['tauMax']))
    n = len(entities)
    terms = [[score_terms(a, r) for r in entities] for a in entities]
    scores = [[score(t) for t in row] for row in terms]
    positives, negatives, kinds = [], [], []
    for i, row in enumerate(scores):
        # Float32 must order every pair of candidate scores as exact arithmetic does: equal scores come from
        # equal terms (so float32 computes them identically), unequal ones are far apart, none sits on a τ.
        for j in range(n):
            assert all(abs(row[j] - t) > 1e-3 for t in (tau_min, tau_max)), (i, j)
            for k in range(n):
                assert row[j] != row[k] or terms[i][j] == terms[i][k], (i, j, k)
                assert row[j] == row[k] or abs(row[j] - row[k]) > 1e-3, (i, j, k)
        positive = pick(row, [i], lambda s: True, lambda s, b: s > b)
        negative = pick(row, [i, positive], lambda s: tau_min <= s < tau_max, lambda s, b: s < b)
        kind = 'semi-hard'
        if negative < 0:
            negative = pick(row, [i, positive], lambda s: s < tau_min, lambda s, b: s > b)
            kind = 'fallback'
        if negative < 0 or not row[positive] > row[negative]:
            positive, negative, kind = -1, -1, 'none'
        positives.append(positive)
        negatives.append(negative)
        kinds.append(kind)
    return scores, positives, negatives, kinds


def check_mining_cases(scores, positives, kinds):
    """The batch must meet every case of ENTITIES' comment."""
    assert {'semi-hard', 'fallback', 'none'} <= set(kinds), kinds
    tau_min, tau_max = Fraction(str(SETTINGS['tauMin'])), Fraction(str(SETTINGS['tauMax']))

    def candidates(i, accept):
        return {s for j, s in enumerate(scores[i]) if j not in (i, positives[i]) and accept(s)}
    valid = [i for i, p in enumerate(positives) if p >= 0]
    assert any(sum(s == scores[i][positives[i]] for j, s in enumerate(scores[i]) if j != i) >= 2 for i in valid), 'no tied positive'
    assert any(kinds[i] == 'semi-hard' and len(candidates(i, lambda s: tau_min <= s < tau_max)) >= 2 for i in valid), 'no choice in a band'
    assert any(kinds[i] == 'fallback' and len(candidates(i, lambda s: s < tau_min)) >= 2 for i in valid), 'no choice of fallback'


def medtrim_loss(img, txt, positives, negatives):
    """Mean over anchors with a valid triplet of the four weighted hinge terms; also returns the hinges."""
    margin, eta = SETTINGS['margin'], SETTINGS['eta']
    valid = torch.tensor(positives) >= 0
    pos, neg = torch.tensor(positives)[valid], torch.tensor(negatives)[valid]
    hinges, terms = [], []
    for anchors, others, weight in ((img, img, eta), (txt, txt, eta), (img, txt, 1 - eta), (txt, img, 1 - eta)):
        a = anchors[valid]
        hinge = (a * others[neg]).sum(-1) - (a * others[pos]).sum(-1) + margin  # d(a, p) − d(a, n) + α
        hinges.append(hinge)
        terms.append(weight * torch.clamp(hinge, min=0))
    hinges = torch.cat(hinges)
    # A hinge near 0 could switch on or off under float32 rounding.
    assert hinges.abs().min() > 1e-3, hinges.tolist()
    return sum(terms).mean(), hinges


def infonce_loss(img, txt, logit_scale):
    logits = (img @ txt.T) * logit_scale.exp()
    targets = torch.arange(img.shape[0])
    ce = torch.nn.functional.cross_entropy
    return 0.5 * (ce(logits, targets) + ce(logits.T, targets))


def train_step(name, params, trained, loss_fn, extra):
    """Loss, raw gradients, clipped AdamW update of the trained parameters; writes train-step-golden-NAME."""
    start = {k: p.detach().clone() for k, p in params.items()}
    loss = loss_fn()
    grads = torch.autograd.grad(loss, [params[k] for k in trained])
    grad_norm = torch.sqrt(sum((g * g).sum() for g in grads))
    max_norm = float(torch.tensor(0.5 * grad_norm.item()).float())  # float32-representable, below the norm
    stepped = [params[k].detach().clone().requires_grad_() for k in trained]
    for p, g in zip(stepped, grads):
        p.grad = g.clone()
    clip = torch.nn.utils.clip_grad_norm_(stepped, max_norm)
    assert abs(clip.item() - grad_norm.item()) < 1e-12 * grad_norm.item()
    s = SETTINGS
    optimizer = torch.optim.AdamW(stepped, lr=s['lr'], betas=(s['beta1'], s['beta2']), eps=s['eps'], weight_decay=s['weightDecay'])
    optimizer.step()
    clipped = torch.cat([p.grad.flatten() for p in stepped]).abs()
    print('%s: loss %.6f, |g| %.4f, max_norm %.4f, clipped |g_i| median %.2e (eps %.0e)' % (
        name, loss.item(), grad_norm.item(), max_norm, clipped.median().item(), s['eps']))
    tensors = {'loss': loss.reshape(1), 'grad_norm': grad_norm.reshape(1), 'max_grad_norm': torch.tensor([max_norm])}
    tensors.update(extra)
    for k, g, p in zip(trained, grads, stepped):
        tensors['grad.' + k] = g
        tensors['update.' + k] = p.detach() - start[k]
    meta = {'writer': 'scripts/golden/train_step.py', 'torch': torch.__version__, 'objective': name}
    write_safetensors(OUT / ('train-step-golden-%s.safetensors' % name), tensors, meta)


def main():
    torch.set_default_dtype(torch.float64)
    w_image, w_text = Weights(41), Weights(42)
    vw, bw = vit_weights(w_image, VIT), bert_weights(w_text, BERT)
    params = {'image.' + k: v for k, v in w_image.params.items()}
    params.update({'text.' + k: v for k, v in w_text.params.items()})
    params['logitScale'] = torch.tensor([INITIAL_LOGIT_SCALE]).float().double().requires_grad_()

    inputs = Weights(43)
    pixels = (2 * torch.rand(BATCH, VIT['channels'], VIT['imageSize'], VIT['imageSize'], generator=inputs.gen) - 1).float().double()
    ids = torch.randint(5, BERT['vocabSize'], (BATCH, SEQ), generator=inputs.gen)
    mask = torch.tensor([[1] * n + [0] * (SEQ - n) for n in LENGTHS])
    ids[:, 0] = CLS
    ids[mask == 0] = PAD
    types = torch.zeros(BATCH, SEQ, dtype=torch.int64)  # one segment, as the trainer's tokenizer gives

    def embed():
        img = torch.nn.functional.normalize(vit_forward(vw, VIT, pixels)[1], dim=-1)
        txt = torch.nn.functional.normalize(bert_forward(bw, BERT, ids, mask, types)[2], dim=-1)
        return img, txt

    scores, positives, negatives, kinds = mine(ENTITIES)
    print('mined: positives %s negatives %s (%s)' % (positives, negatives, ', '.join(kinds)))
    check_mining_cases(scores, positives, kinds)
    hinges = []

    def medtrim():
        loss, h = medtrim_loss(*embed(), positives, negatives)
        hinges.append(h)
        return loss

    encoders = [k for k in params if k != 'logitScale']
    mined = {'positives': torch.tensor(positives), 'negatives': torch.tensor(negatives)}
    train_step('medtrim', params, encoders, medtrim, mined)
    active = (hinges[0] > 0).sum().item()
    print('medtrim: %d of %d hinge terms active' % (active, hinges[0].numel()))
    assert 0 < active < hinges[0].numel()
    train_step('infonce', params, list(params), lambda: infonce_loss(*embed(), params['logitScale']), {})

    meta = {
        'writer': 'scripts/golden/train_step.py', 'torch': torch.__version__,
        'vit': json.dumps(VIT), 'bert': json.dumps(BERT), 'settings': json.dumps(SETTINGS), 'entities': json.dumps(ENTITIES),
        'scores': json.dumps([[float(s) for s in row] for row in scores]),
    }
    batch = dict(params)
    batch.update({'pixel_values': pixels, 'input_ids': ids, 'attention_mask': mask, 'token_type_ids': types})
    write_safetensors(OUT / 'train-step-golden-batch.safetensors', batch, meta)


if __name__ == '__main__':
    main()
