"""Chapter 5 theory (sections 5.2, 5.5, 5.6): Figures 5.2 and 5.6, hardmax solvers and the theory claims.

No dataset is used: every game is constructed from the ``ch5_theory`` config section. Each results file is
one job (``results/ch5_theory/<what>.json``); plot rules only read them.
"""

CH5_THEORY = config.get("ch5_theory")
if CH5_THEORY is None:
    raise SystemExit("recdyn: the preset lacks the ch5_theory section (see config/presets/default.yaml)")
CH5_THEORY_PANELS = ["a", "bc", "d", "e"]
CH5_THEORY_OUTPUTS = [
    "figures/ch5/fig_5_2.pdf",
    "figures/ch5/fig_5_2.png",
    "figures/ch5/fig_5_6.pdf",
    "figures/ch5/fig_5_6.png",
]
CH5_THEORY_CLAIMS = ["results/ch5_theory/claims.csv"]


localrules:
    fig_5_2,
    fig_5_6,
    claims_ch5_theory,


rule ch5_theory_compute:
    """One results file: a Figure 5.2 panel (A, B+C, D, E), Figure 5.6, the hardmax checks (LP, Lemma 9,
    hitting set) or the softmax checks (Theorem 3 II, Proposition 3 II, Theorem 4)."""
    output:
        "results/ch5_theory/{what}.json",
    params:
        cfg=CH5_THEORY,
    wildcard_constraints:
        what="fig_5_2_a|fig_5_2_bc|fig_5_2_d|fig_5_2_e|fig_5_6|hardmax|softmax",
    benchmark:
        "results/benchmarks/ch5_theory_compute/{what}.tsv"
    log:
        "logs/ch5_theory/{what}.log",
    threads: 1
    resources:
        runtime=res("ch5_theory")["runtime"],
        mem_mb=res("ch5_theory")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/ch5_theory_compute.py"


rule fig_5_2:
    """Figure 5.2: A) no PNE (best-response cycling), B, C) no quasi-concavity, D) tau-dependent PNE, E) protective positioning."""
    input:
        expand("results/ch5_theory/fig_5_2_{panel}.json", panel=CH5_THEORY_PANELS),
    output:
        pdf="figures/ch5/fig_5_2.pdf",
        png=report("figures/ch5/fig_5_2.png", caption="../report/fig_5_2.rst", category="Chapter 5"),
        provenance="figures/ch5/fig_5_2.provenance.json",
    params:
        figure="5_2",
    benchmark:
        "results/benchmarks/fig_5_2/fig_5_2.tsv"
    log:
        "logs/ch5_theory/fig_5_2.log",
    threads: 1
    resources:
        runtime=res("default")["runtime"],
        mem_mb=res("default")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/ch5_theory_plot.py"


rule fig_5_6:
    """Figure 5.6: the n = 4 construction of Proposition 3 (equilibrium, f(theta), every defection)."""
    input:
        "results/ch5_theory/fig_5_6.json",
    output:
        pdf="figures/ch5/fig_5_6.pdf",
        png=report("figures/ch5/fig_5_6.png", caption="../report/fig_5_6.rst", category="Chapter 5"),
        provenance="figures/ch5/fig_5_6.provenance.json",
    params:
        figure="5_6",
    benchmark:
        "results/benchmarks/fig_5_6/fig_5_6.tsv"
    log:
        "logs/ch5_theory/fig_5_6.log",
    threads: 1
    resources:
        runtime=res("default")["runtime"],
        mem_mb=res("default")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/ch5_theory_plot.py"


rule claims_ch5_theory:
    """Chapter 5 theory claims (recdyn.claims.ch5.theory_claims): Theorem 3, Figure 5.2 B-E, Proposition 3,
    Theorem 4, Lemma 8 (LP), hitting-set search."""
    input:
        hardmax="results/ch5_theory/hardmax.json",
        softmax="results/ch5_theory/softmax.json",
        fig_5_6="results/ch5_theory/fig_5_6.json",
        bc="results/ch5_theory/fig_5_2_bc.json",
        d="results/ch5_theory/fig_5_2_d.json",
        e="results/ch5_theory/fig_5_2_e.json",
    output:
        "results/ch5_theory/claims.csv",
    benchmark:
        "results/benchmarks/claims_ch5_theory/claims.tsv"
    log:
        "logs/ch5_theory/claims.log",
    threads: 1
    resources:
        runtime=res("default")["runtime"],
        mem_mb=res("default")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/ch5_theory_claims.py"
