"""Chapter 4, section 4.4: Mixture-of-Experts pool allocation on the 100-arm Amazon problem
(Figure 4.5). One job per (training-set size c, number of experts N, seed); each trains the MoE
and the random-pool model for every (s, d_e). Exposes CH4_MOE_OUTPUTS and CH4_MOE_CLAIMS."""

CH4_MOE = config["ch4_moe"]
if set(CH4_MOE["plot_experts"]) - set(CH4_MOE["n_experts"]):
    raise SystemExit(f"recdyn: ch4_moe.plot_experts {sorted(set(CH4_MOE['plot_experts']) - set(CH4_MOE['n_experts']))} "
                     f"are not in ch4_moe.n_experts")
CH4_MOE_RUNS = expand(
    "results/ch4_moe/runs/c{c}_N{n}_seed{seed}.parquet",
    c=CH4_MOE["train_per_arm"],
    n=CH4_MOE["n_experts"],
    seed=range(CH4_MOE["seeds"]),
)
CH4_MOE_OUTPUTS = [
    "figures/ch4/fig_4_5.pdf",
    "figures/ch4/fig_4_5.png",
]
CH4_MOE_CLAIMS = ["results/ch4_moe/claims.csv"]


localrules:
    fig_4_5,
    claims_ch4_moe,


rule ch4_moe_run:
    """MoE and random-pool models for one c, N and seed over all (s, d_e) (sections 4.4, 4.8)."""
    input:
        processed("amazoncat"),
        manifest=manifest("amazoncat"),
    output:
        "results/ch4_moe/runs/c{c}_N{n}_seed{seed}.parquet",
    params:
        cfg=CH4_MOE,
    wildcard_constraints:
        c=r"\d+",
        n=r"\d+",
        seed=r"\d+",
    benchmark:
        "results/benchmarks/ch4_moe_run/run_c{c}_N{n}_seed{seed}.tsv"
    log:
        "logs/ch4_moe/run_c{c}_N{n}_seed{seed}.log",
    threads: 1
    resources:
        runtime=res("ch4_moe_run")["runtime"],
        mem_mb=res("ch4_moe_run")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/ch4_moe_run.py"


rule ch4_moe_summary:
    """All Figure 4.5 runs in one table; mean and standard error over seeds per configuration."""
    input:
        CH4_MOE_RUNS,
    output:
        runs="results/ch4_moe/runs.parquet",
        summary="results/ch4_moe/summary.csv",
    benchmark:
        "results/benchmarks/ch4_moe_summary/summary.tsv"
    log:
        "logs/ch4_moe/summary.log",
    threads: 1
    resources:
        runtime=res("default")["runtime"],
        mem_mb=res("default")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/ch4_moe_summary.py"


rule fig_4_5:
    """Figure 4.5: precision@5 and recall@5 against s, by c, for N in ch4_moe.plot_experts; MoE vs random."""
    input:
        summary="results/ch4_moe/summary.csv",
        manifests=[manifest("amazoncat")],
    output:
        pdf="figures/ch4/fig_4_5.pdf",
        png=report("figures/ch4/fig_4_5.png", caption="../report/fig_4_5.rst", category="Chapter 4"),
        provenance="figures/ch4/fig_4_5.provenance.json",
    params:
        n_experts=CH4_MOE["plot_experts"],
    benchmark:
        "results/benchmarks/fig_4_5/fig_4_5.tsv"
    log:
        "logs/ch4_moe/fig_4_5.log",
    threads: 1
    resources:
        runtime=res("default")["runtime"],
        mem_mb=res("default")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/ch4_moe_fig.py"


rule claims_ch4_moe:
    """Section 4.4's MoE claims (Figure 4.5, paired by seed) and section 4.8's MoE sweep (recdyn.claims.ch4)."""
    input:
        runs="results/ch4_moe/runs.parquet",
        manifests=[manifest("amazoncat")],
    output:
        "results/ch4_moe/claims.csv",
    params:
        majority=CH4_MOE["claim_majority"],
        preset=config["preset"],
    benchmark:
        "results/benchmarks/claims_ch4_moe/claims.tsv"
    log:
        "logs/ch4_moe/claims.log",
    threads: 1
    resources:
        runtime=res("default")["runtime"],
        mem_mb=res("default")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/ch4_moe_claims.py"
