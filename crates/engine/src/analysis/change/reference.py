# The reference numbers in crates/engine/src/analysis/change/tests.rs (scipy 1.17.1, statsmodels 0.15.0).
import numpy as np
from scipy import stats
from statsmodels.stats.multitest import multipletests
groups = [[0.1, 0.4, 0.3, 0.2, 0.5], [1.1, 0.9, 1.4, 1.0], [0.6, 0.8, 0.7, 0.9, 0.5, 0.7]]
r = stats.f_oneway(*groups)
print("classic", repr(r.statistic), repr(r.pvalue))
welch_groups = [[0.1, 0.12, 0.11, 0.13], [0.5, 1.5, 0.2, 2.1, 1.0], [0.3, 0.35, 0.32, 0.36, 0.31]]
r = stats.f_oneway(*welch_groups, equal_var=False)
print("welch", repr(r.statistic), repr(r.pvalue))
print("sf", repr(stats.f.sf(250.0, 4, 1500)))
p = [0.01, 0.04, 0.03, 0.2, 0.001, 0.5]
print("bh", list(multipletests(p, method="fdr_bh")[1]))
print("hyper", repr(stats.hypergeom.sf(7, 2000, 40, 100)), repr(stats.hypergeom.sf(11, 20000, 200, 300)))
