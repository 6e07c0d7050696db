"""Writes the same simulated counts twice, for bench/mex.sh: as 10x MEX samples, one per time
point with a GEO-style prefix (`t3h_matrix.mtx.gz`, `t3h_features.tsv.gz`,
`t3h_barcodes.tsv.gz`; entries sorted by cell then gene, as Cell Ranger writes them), and as the
equivalent cells x genes CSV of counts (`counts.csv`, columns cell,time,genes...). Each gene is
detected in a share of the cells drawn log-normally around 7 %, counts are geometric (1, 2, ...).
Usage: python bench/make_mex.py OUT_DIR [genes=10000] [cells_per_time=4500]
"""
import gzip
import io
import os
import sys

import numpy as np

out = sys.argv[1]
genes = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
cells = int(sys.argv[3]) if len(sys.argv) > 3 else 4500
times = [0, 3, 6, 12, 24]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(7)
p = np.clip(np.exp(rng.normal(np.log(0.07), 0.8, genes)), 0.001, 0.9)
names = [f"GENE{g + 1:05}" for g in range(genes)]
features = "".join(f"ENSG{g + 1:011}\t{n}\tGene Expression\n" for g, n in enumerate(names))
with open(os.path.join(out, "counts.csv"), "w") as csv:
    csv.write("cell,time," + ",".join(names) + "\n")
    for t in times:
        detected = rng.random((cells, genes), dtype=np.float32) < p[None, :]
        counts = np.zeros((cells, genes), dtype=np.int32)
        counts[detected] = rng.geometric(0.5, int(detected.sum()))
        prefix = os.path.join(out, f"t{t}h_")
        cell_idx, gene_idx = np.nonzero(counts)
        with gzip.open(prefix + "matrix.mtx.gz", "wt", compresslevel=6) as m:
            m.write("%%MatrixMarket matrix coordinate integer general\n")
            m.write('%metadata_json: {"software_version": "bench/make_mex.py"}\n')
            m.write(f"{genes} {cells} {len(cell_idx)}\n")
            block = io.StringIO()
            np.savetxt(
                block,
                np.column_stack([gene_idx + 1, cell_idx + 1, counts[cell_idx, gene_idx]]),
                fmt="%d",
            )
            m.write(block.getvalue())
        with gzip.open(prefix + "features.tsv.gz", "wt") as f:
            f.write(features)
        with gzip.open(prefix + "barcodes.tsv.gz", "wt") as f:
            f.write("".join(f"T{t}CELL{c:06}-1\n" for c in range(cells)))
        for c in range(cells):
            csv.write(f"t{t}_c{c},{t},")
            csv.write(",".join(map(str, counts[c].tolist())))
            csv.write("\n")
        print(f"{t} h: {len(cell_idx)} non-zero counts", flush=True)
