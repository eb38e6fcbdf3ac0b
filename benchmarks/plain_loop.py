"""The plain hand-written PyTorch loop that ``benchmarks/train.py --versus-plain`` runs as a whole
process against ``cnnscope train``: the same data, model and initial weights (from
``cnnscope.train.prepare_run``, seed 0), batch size, epochs, optimizer (Adam, lr 1e-3) and a
validation pass per epoch; resident tensors, one ``randperm`` per epoch, ``loss.item()`` every
step, torch's default Adam.  Prints ``final_val_acc=...``; writes nothing.

    OMP_WAIT_POLICY=PASSIVE python benchmarks/plain_loop.py --epochs 5 --batch-size 32
"""

import argparse

import torch
import torch.nn.functional as F

from cnnscope.train import prepare_run

parser = argparse.ArgumentParser()
parser.add_argument("--model", default="lenet5")
parser.add_argument("--epochs", type=int, default=5)
parser.add_argument("--batch-size", type=int, default=32)
args = parser.parse_args()

run = prepare_run(args.model, "digits", seed=0)
model, data = run.model, run.data
x, y, x_val, y_val = data.x.float(), data.y, data.x_val.float(), data.y_val
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
torch.manual_seed(0)
for epoch in range(args.epochs):
    model.train()
    running = 0.0
    perm = torch.randperm(len(y))
    for start in range(0, len(y), args.batch_size):
        idx = perm[start:start + args.batch_size]
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x[idx]), y[idx])
        loss.backward()
        optimizer.step()
        running += loss.item()
    model.eval()
    with torch.no_grad():
        out = model(x_val)
        val_loss = F.cross_entropy(out, y_val).item()
        val_acc = (out.argmax(1) == y_val).float().mean().item()
    print(f"epoch {epoch + 1}: train loss {running / -(-len(y) // args.batch_size):.4f}, "
          f"val loss {val_loss:.4f}, val acc {val_acc:.4f}")
print(f"final_val_acc={val_acc:.4f}")
