#!/usr/bin/python3
"""bench-train-pytorch.py — one training epoch of PruneLens's default CNN in PyTorch.

The same work as `prunelens-cli bench train`: Conv(1->16, 3x3, pad 1) ReLU MaxPool 2,
Conv(16->32, 3x3, pad 1) ReLU MaxPool 2, Flatten, Linear(1568->128) ReLU, Linear(128->10);
Adam (lr 1e-3), batch 64, shuffled, cross-entropy on logits, on the 60 000 Fashion-MNIST
training images (pixels / 255). Threads: torch.set_num_threads (PL_NUM_THREADS, else 2).
Run with Debian's Python (python3-torch):
    /usr/bin/python3 tools/bench-train-pytorch.py [--data DIR] [--batches N]
Prints the seconds per epoch (extrapolated from N minibatches with --batches).
On a machine shared with other work, PyTorch's OpenMP threads spin while waiting and slow
down many times over; OMP_WAIT_POLICY=PASSIVE gives the fairer comparison there.
"""
import argparse
import gzip
import os
import struct
import time

import numpy as np
import torch
import torch.nn as nn


def read_idx(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    magic, = struct.unpack(">I", data[:4])
    nd = magic & 0xFF
    dims = struct.unpack(">" + "I" * nd, data[4:4 + 4 * nd])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)


def find(d, stem):
    for name in (stem + ".gz", stem):
        p = os.path.join(d, name)
        if os.path.exists(p):
            return p
    raise SystemExit(f"bench-train-pytorch: no {stem}[.gz] in {d}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--batches", type=int, default=0,
                    help="time only N minibatches and extrapolate (default: whole epoch)")
    ap.add_argument("--threads", type=int, default=0,
                    help="threads (default: PL_NUM_THREADS, else 2)")
    args = ap.parse_args()
    threads = args.threads or int(os.environ.get("PL_NUM_THREADS", "0") or 0) or 2
    torch.set_num_threads(threads)
    torch.manual_seed(1)

    x = read_idx(find(args.data, "train-images-idx3-ubyte"))
    y = read_idx(find(args.data, "train-labels-idx1-ubyte"))
    x = torch.from_numpy(x.astype(np.float32) / 255.0).unsqueeze(1)
    y = torch.from_numpy(y.astype(np.int64))
    n = x.shape[0]

    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    bs = 64
    epoch_batches = (n + bs - 1) // bs
    nb = min(args.batches, epoch_batches) if args.batches > 0 else epoch_batches

    order = torch.randperm(n)
    model.train()
    t0 = time.perf_counter()
    for b in range(nb):
        idx = order[b * bs:(b + 1) * bs]
        opt.zero_grad()
        loss = loss_fn(model(x[idx]), y[idx])
        loss.backward()
        opt.step()
    seconds = time.perf_counter() - t0
    per_epoch = seconds * epoch_batches / nb
    print(f"train (PyTorch {torch.__version__}): default CNN, Adam, batch 64, "
          f"{threads} threads")
    print(f"{nb} of {epoch_batches} minibatches in {seconds:.2f} s")
    print(f"{per_epoch:.2f} seconds per epoch" + (" (extrapolated)" if nb < epoch_batches else ""))


if __name__ == "__main__":
    main()
