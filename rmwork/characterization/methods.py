"""Names of the consensus estimators and the constants shared by the characterization modules.

The one list of method names in rmwork (CONTRACT.md); :mod:`rmwork.params` checks a lot's
``characterization.method`` against it. Import-free, so that reading a parameter file does not
pull in the statistics.
"""

METHODS = (
    "mean",
    "weighted-mean",
    "dersimonian-laird",
    "paule-mandel",
    "bayes-gauss",
    "bayes-laplace",
    "linear-pool",
)  # CONTRACT.md
COMPARE_METHODS = ("mean", "weighted-mean", "dersimonian-laird", "paule-mandel", "linear-pool")
RANDOM_EFFECTS = ("dersimonian-laird", "paule-mandel")
# how u and the interval of a random-effects estimate are obtained (characterization.interval)
INTERVAL_CHOICES = ("knapp-hartung", "knapp-hartung-untruncated", "normal", "bootstrap")
BAYES = ("bayes-gauss", "bayes-laplace")
N_BOOT = 10_000  # NICOB's default number of bootstrap replicates (server.R, DoEbootrep)
N_POOL = 100_000  # NICOB linearOP sample size m = 1e5
DOF_INFINITE = 10_000  # NICOB treats nu > 10000 as infinitely many degrees of freedom
PHI_A, PHI_B = 0.4668994, -0.3998882  # NICOB: scale of Student t with nu <= 2 (no finite variance)
ALPHA_Q = 0.05  # brief / NIST Decision Tree test of consistency (the DT itself uses 0.10)

CLAUSES = {
    "value": "ISO Guide 35:2017, 9.3-9.5; JJF 1343-2022, 6.3",
    "u": "ISO Guide 35:2017, 9.5 (u_char)",
    "tau": "Koepke et al., Metrologia 54 (2017) S34 (dark uncertainty)",
    "q_statistic": "Cochran (1954)",
    "i2": "Higgins & Thompson (2002)",
}
METHOD_CLAUSES = {
    "mean": "ISO Guide 35:2017, 9.5.2 (mean of laboratory means, u = s/sqrt(p))",
    "weighted-mean": "ISO Guide 35:2017, 9.5.3 (weighted mean); GUM G.4.1 for dof_eff",
    "dersimonian-laird": "DerSimonian & Laird (1986); NICOB parametric bootstrap (Koepke et al. 2017)",
    "paule-mandel": "Paule & Mandel (1982)",
    "bayes-gauss": "NICOB hierarchical Gauss-Gauss (Koepke et al. 2017)",
    "bayes-laplace": "NICOB hierarchical Laplace-Gauss (Koepke et al. 2017)",
    "linear-pool": "NICOB linear opinion pool (Koepke et al. 2017; Toman 2007)",
}
