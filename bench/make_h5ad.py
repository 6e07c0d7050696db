"""Writes a large CSR .h5ad for bench/h5ad.sh: GENES genes, cells at 5 time points (an obs
`time` categorical of labels 0h..24h), float32 counts at about 5 % density, uncompressed as
scanpy writes by default, in chunks so that this script's memory stays small.

    python make_h5ad.py OUT.h5ad SIZE_GB [GENES]
"""

import sys

import h5py
import numpy as np

out, gb = sys.argv[1], float(sys.argv[2])
genes = int(sys.argv[3]) if len(sys.argv) > 3 else 10_000
per_cell = genes // 20  # non-zeros per cell
cells = int(gb * 1e9 / (per_cell * 8))  # float32 data + int32 indices
rng = np.random.default_rng(7)
labels = np.array(["0h", "3h", "6h", "12h", "24h"])
with h5py.File(out, "w") as f:
    f.attrs["encoding-type"] = "anndata"
    f.attrs["encoding-version"] = "0.1.0"
    x = f.create_group("X")
    x.attrs["encoding-type"] = "csr_matrix"
    x.attrs["encoding-version"] = "0.1.0"
    x.attrs["shape"] = np.array([cells, genes], dtype=np.int64)
    nnz = cells * per_cell
    data = x.create_dataset("data", shape=(nnz,), dtype=np.float32, chunks=(1 << 20,))
    indices = x.create_dataset("indices", shape=(nnz,), dtype=np.int32, chunks=(1 << 20,))
    x.create_dataset("indptr", data=np.arange(cells + 1, dtype=np.int64) * per_cell)
    step = 1 << 14
    for start in range(0, cells, step):
        n = min(step, cells - start)
        # One non-zero in each run of 20 genes, at a random place: sorted and distinct.
        cols = np.arange(per_cell) * 20 + rng.integers(0, 20, size=(n, per_cell))
        data[start * per_cell:(start + n) * per_cell] = rng.poisson(2.0, size=n * per_cell).astype(np.float32) + 1
        indices[start * per_cell:(start + n) * per_cell] = cols.reshape(-1).astype(np.int32)
    obs = f.create_group("obs")
    obs.attrs["encoding-type"] = "dataframe"
    obs.attrs["encoding-version"] = "0.2.0"
    obs.attrs["_index"] = "_index"
    obs.attrs["column-order"] = np.array(["time"], dtype=h5py.string_dtype())
    obs.create_dataset("_index", data=np.array([f"c{i}" for i in range(cells)], dtype=h5py.string_dtype()))
    t = obs.create_group("time")
    t.attrs["encoding-type"] = "categorical"
    t.attrs["encoding-version"] = "0.2.0"
    t.attrs["ordered"] = False
    t.create_dataset("categories", data=labels.astype(h5py.string_dtype()))
    t.create_dataset("codes", data=(np.arange(cells) % 5).astype(np.int8))
    var = f.create_group("var")
    var.attrs["encoding-type"] = "dataframe"
    var.attrs["encoding-version"] = "0.2.0"
    var.attrs["_index"] = "_index"
    var.attrs["column-order"] = np.array([], dtype=h5py.string_dtype())
    var.create_dataset("_index", data=np.array([f"G{j}" for j in range(genes)], dtype=h5py.string_dtype()))
print(f"{out}: {cells} cells x {genes} genes, {cells * per_cell} non-zeros")
