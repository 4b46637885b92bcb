"""Golden file for the MedTrim four-term triplet loss (src/ops/triplet.ts), computed by PyTorch autograd.

Run with Debian's torch: /usr/bin/python3 scripts/golden/medtrim_loss.py
Writes test/fixtures/golden/medtrim-loss.json: inputs (raw embeddings, normalised inside), mined indices,
the loss and the gradients of the loss with respect to the normalised embeddings.
"""
import json
import pathlib

import torch

torch.manual_seed(20251128)
N, DIM, MARGIN, ETA = 12, 16, 0.3, 0.4


def triplet_terms(anchor, other, pos, neg, weight):
    d_pos = 1 - (anchor * other[pos]).sum(-1)
    d_neg = 1 - (anchor * other[neg]).sum(-1)
    return weight * torch.clamp(d_pos - d_neg + MARGIN, min=0)


img = torch.nn.functional.normalize(torch.randn(N, DIM, dtype=torch.float64), dim=-1).requires_grad_()
txt = torch.nn.functional.normalize(torch.randn(N, DIM, dtype=torch.float64), dim=-1).requires_grad_()
positives = torch.randint(0, N, (N,))
negatives = torch.randint(0, N, (N,))
positives[[2, 7]] = -1  # anchors the miner could not serve
negatives[[2, 7]] = -1
valid = positives >= 0
pos, neg = positives[valid], negatives[valid]
ia, ta = img[valid], txt[valid]
per_anchor = (
    triplet_terms(ia, img, pos, neg, ETA)
    + triplet_terms(ta, txt, pos, neg, ETA)
    + triplet_terms(ia, txt, pos, neg, 1 - ETA)
    + triplet_terms(ta, img, pos, neg, 1 - ETA)
)
loss = per_anchor.mean()
loss.backward()

out = {
    "n": N, "dim": DIM, "margin": MARGIN, "eta": ETA,
    "img": img.detach().flatten().tolist(), "txt": txt.detach().flatten().tolist(),
    "positives": positives.tolist(), "negatives": negatives.tolist(),
    "loss": loss.item(), "dImg": img.grad.flatten().tolist(), "dTxt": txt.grad.flatten().tolist(),
}
path = pathlib.Path(__file__).resolve().parents[2] / "test/fixtures/golden/medtrim-loss.json"
path.write_text(json.dumps(out))
print(f"wrote {path} (loss {loss.item():.6f})")
