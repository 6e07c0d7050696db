"""Writes two real, public time courses from Debian's Bioconductor data packages (a package
registry, so nothing is fetched from a paper's site) in the layouts a user would drop, with gene
sets of the programmes each is known for. Used by bench/real-data.sh.

- Bulk: influenza H3N2 challenge, whole blood, Affymetrix (Huang et al. 2011, GEO GSE30550),
  from r-bioc-qusage's `fluExample`: 4,147 genes x 252 samples, 17 volunteers at 15 times
  (0 to 108 h), symptomatic (sx) or not (asx). Written as a genes x samples CSV with a sample
  sheet (sample,time,replicate,condition): the volunteers are the replicates.
- Single cell: human skeletal muscle myoblasts switched to differentiation medium (Trapnell et
  al. 2014, Monocle; GEO GSE52529), from r-bioc-hsmmsinglecell: 271 cells at 0, 24, 48 and
  72 h, FPKM. Written as an .h5ad (log1p FPKM, CSR, Ensembl ids in the var index with Monocle's
  `gene_short_name` symbols, obs `Hours` categorical), genes detected in at least 10 cells.

Usage: python bench/real_data.py DEB_ROOT OUT_DIR (DEB_ROOT: where the .deb files were unpacked)
"""
import os
import sys

import anndata
import numpy as np
import pandas as pd
import pyreadr
import scipy.sparse as sp

root, out = sys.argv[1], sys.argv[2]
lib = os.path.join(root, "usr/lib/R/site-library")
os.makedirs(out, exist_ok=True)


def gmt(path, sets):
    with open(path, "w") as f:
        for name, genes in sets.items():
            f.write("\t".join([name, name.replace("_", " ")] + genes.split()) + "\n")


# --- bulk: influenza challenge -------------------------------------------------------------
flu = pyreadr.read_r(os.path.join(lib, "qusage/data/fluExample.RData"))
expr, meta = flu["eset.full"], flu["flu.meta"]
expr.index.name = "gene"
expr.to_csv(os.path.join(out, "flu.csv"), float_format="%.4f")
sheet = pd.DataFrame(
    {
        "sample": meta["SampleID"].astype(str),
        "time": meta["Hours.Numeric"].astype(float),
        "replicate": meta["Subject"].astype(str),
        "condition": meta["Condition"].astype(str),
    }
)
sheet.to_csv(os.path.join(out, "flu-samples.csv"), index=False)
gmt(
    os.path.join(out, "flu.gmt"),
    {
        # Interferon-stimulated genes (Schoggins et al. 2011; the core of the symptomatic
        # signature of Huang et al. 2011): rise late in symptomatic volunteers.
        "interferon_stimulated": "RSAD2 IFI44L IFI44 IFI27 IFIT1 IFIT2 IFIT3 IFIT5 ISG15 ISG20 "
        "MX1 MX2 OAS1 OAS2 OAS3 OASL HERC5 HERC6 SIGLEC1 LY6E XAF1 IFI6 EPSTI1 CMPK2 SERPING1 "
        "IFITM1 IFITM3 STAT1 IRF7 IFI35 LAMP3 USP18 DDX58 IFIH1 DDX60 RTP4 SAMD9L PLSCR1 "
        "TRIM22 GBP1 BST2 EIF2AK2 PARP9 DTX3L SP110",
        # T cells: fall in blood during acute viral infection (lymphopenia).
        "T_cell": "CD3E CD3D CD3G CD2 CD247 LCK ZAP70 CD28 IL7R CCR7 LEF1 TCF7 CD5 CD6 ITK "
        "CD8A CD8B CD4 GZMK CD27 SELL TRAT1 BCL11B",
    },
)

# --- single cell: myoblast differentiation -------------------------------------------------
data = os.path.join(lib, "HSMMSingleCell/data")
fpkm = pyreadr.read_r(os.path.join(data, "HSMM_expr_matrix.rda"))["HSMM_expr_matrix"]
cells = pyreadr.read_r(os.path.join(data, "HSMM_sample_sheet.rda"))["HSMM_sample_sheet"]
genes = pyreadr.read_r(os.path.join(data, "HSMM_gene_annotation.rda"))["HSMM_gene_annotation"]
fpkm = fpkm.loc[:, cells.index]
detected = (fpkm.values > 1.0).sum(axis=1) >= 10
fpkm = fpkm.loc[detected]
x = sp.csr_matrix(np.log1p(fpkm.values.T).astype(np.float32))
obs = pd.DataFrame(
    {"Hours": pd.Categorical(cells["Hours"].astype(str)), "Media": cells["Media"].astype(str)},
    index=cells.index.astype(str),
)
var = pd.DataFrame(
    {"gene_short_name": genes.loc[fpkm.index, "gene_short_name"].astype(str).values},
    index=fpkm.index.astype(str),
)
anndata.AnnData(X=x, obs=obs, var=var).write_h5ad(os.path.join(out, "hsmm.h5ad"))
gmt(
    os.path.join(out, "hsmm.gmt"),
    {
        # Seurat's cell-cycle genes (Tirosh et al. 2016): myoblasts stop dividing when they
        # differentiate, so both fall over the time course.
        "S_phase": "MCM5 PCNA TYMS FEN1 MCM2 MCM4 RRM1 UNG GINS2 MCM6 CDCA7 DTL PRIM1 UHRF1 "
        "MLF1IP HELLS RFC2 RPA2 NASP RAD51AP1 GMNN WDR76 SLBP CCNE2 UBR7 POLD3 MSH2 ATAD2 RAD51 "
        "RRM2 CDC45 CDC6 EXO1 TIPIN DSCC1 BLM CASP8AP2 USP1 CLSPN POLA1 CHAF1B BRIP1 E2F8",
        "G2M_phase": "HMGB2 CDK1 NUSAP1 UBE2C BIRC5 TPX2 TOP2A NDC80 CKS2 NUF2 CKS1B MKI67 "
        "TMPO CENPF TACC3 FAM64A SMC4 CCNB2 CKAP2L CKAP2 AURKB BUB1 KIF11 ANP32E TUBB4B GTSE1 "
        "KIF20B HJURP CDCA3 HN1 CDC20 TTK CDC25C KIF2C RANGAP1 NCAPD2 DLGAP5 CDCA2 CDCA8 ECT2 "
        "KIF23 HMMR AURKA PSRC1 ANLN LBR CKAP5 CENPE CTCF NEK2 G2E3 GAS2L3 CBX5 CENPA",
        # Muscle differentiation (myogenin and the sarcomere): rise as myotubes form.
        "myogenic": "MYOG MYH3 MYH8 MYH7 TNNT1 TNNT2 TNNT3 TNNI1 TNNC1 ACTA1 ACTC1 DES MYL4 "
        "MYL1 CKM CHRNA1 CHRNG CDH15 MEF2C TMEM8C CAV3 TTN NEB MYBPH ACTN2 MYOZ2 CASQ2 SGCA MYF6",
    },
)
print(f"wrote {out}: flu.csv ({expr.shape[0]} genes x {expr.shape[1]} samples), "
      f"hsmm.h5ad ({x.shape[0]} cells x {x.shape[1]} genes)")
