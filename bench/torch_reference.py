"""Benchmark (not a test): seconds per epoch of the reference VRNN in PyTorch, written from
the spec (reference-pipeline.md sections 2-5, in the project's shared spec), on the same CSV as the native
and browser benchmarks, so that bench/vs-torch.sh can put both in one table from one run.

Usage: python3 bench/torch_reference.py CSV EPOCHS THREADS
Prints one line: `torch THREADS threads: S seconds per epoch (N epochs after 1 warm-up)`.
Needs `pip install torch numpy`.
"""

import csv
import sys
import time

import numpy as np
import torch
from torch import nn


def per_time_means(path):
    """Genes x T matrix of per-time means (times ascending), as spec section 2."""
    with open(path, newline="") as f:
        rows = csv.reader(f)
        header = next(rows)
        time_col = next(i for i, h in enumerate(header) if h.lower().startswith("time"))
        meta = {0, 1, time_col}
        genes = [i for i in range(len(header)) if i not in meta]
        sums, counts = {}, {}
        for r in rows:
            t = float(r[time_col])
            v = np.array([float(r[i]) for i in genes])
            sums[t] = sums.get(t, 0) + v
            counts[t] = counts.get(t, 0) + 1
    times = sorted(sums)
    return np.stack([sums[t] / counts[t] for t in times], axis=1).astype(np.float32)


class Vrnn(nn.Module):
    def __init__(self, x=1, h=32, z=64, w=64):
        super().__init__()
        self.h = h
        self.enc1, self.enc2 = nn.Linear(h + x, w), nn.Linear(w, w)
        self.enc_mean, self.enc_logvar = nn.Linear(w, z), nn.Linear(w, z)
        self.prior1, self.prior2 = nn.Linear(h, w), nn.Linear(w, w)
        self.prior_mean, self.prior_logvar = nn.Linear(w, z), nn.Linear(w, z)
        self.lstm = nn.LSTMCell(x + z, h)
        self.dec1, self.dec2 = nn.Linear(h + z, w), nn.Linear(w, x)

    def forward(self, x, beta):
        b, steps, _ = x.shape
        h = x.new_zeros(b, self.h)
        c = x.new_zeros(b, self.h)
        loss = x.new_zeros(b)
        for t in range(steps):
            xt = x[:, t]
            e = torch.relu(self.enc2(torch.relu(self.enc1(torch.cat([h, xt], 1)))))
            mu_q, lv_q = self.enc_mean(e), self.enc_logvar(e)
            p = torch.relu(self.prior2(torch.relu(self.prior1(h))))
            mu_p, lv_p = self.prior_mean(p), self.prior_logvar(p)
            z = mu_q + torch.exp(0.5 * lv_q) * torch.randn_like(mu_q)
            h, c = self.lstm(torch.cat([xt, z], 1), (h, c))
            x_mean = self.dec2(torch.relu(self.dec1(torch.cat([h, z], 1))))
            recon = ((xt - x_mean) ** 2 / 2).sum(1)
            kl = (0.5 * (lv_p - lv_q) + (torch.exp(lv_q) + (mu_q - mu_p) ** 2) / (2 * torch.exp(lv_p)) - 0.5).sum(1)
            loss = loss + recon + beta * kl
        return loss.mean()


def main():
    path, epochs, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(threads)
    torch.manual_seed(42)
    data = torch.from_numpy(per_time_means(path)).unsqueeze(-1)
    n = data.shape[0]
    order = torch.randperm(n)
    n_test = round(n * 0.2)
    test, train = data[order[:n_test]], data[order[n_test:]]
    model = Vrnn()
    opt = torch.optim.Adam(model.parameters(), lr=1e-4, betas=(0.9, 0.999), eps=1e-8)

    def epoch():
        model.train()
        total = 0.0
        perm = torch.randperm(train.shape[0])
        for i in range(0, train.shape[0], 400):
            loss = model(train[perm[i : i + 400]], 1e-6)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            total += loss.item()
        with torch.no_grad():
            model(test, 1e-6).item()
        return total

    epoch()  # warm-up: allocator and thread pool
    t0 = time.perf_counter()
    for _ in range(epochs):
        epoch()
    s = (time.perf_counter() - t0) / epochs
    print(f"torch {threads} threads: {s:.4f} seconds per epoch ({epochs} epochs after 1 warm-up)")


if __name__ == "__main__":
    main()
