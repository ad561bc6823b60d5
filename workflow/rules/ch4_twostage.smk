"""Chapter 4 (part 1): single- versus two-stage linear bandits (sections 4.3, 4.8, 4.9).

Tuning (Tables 4.1, 4.3) -> selected hyperparameters -> main runs per (arms, d) / (arms, s)
(Tables 4.2, 4.4) -> aggregates -> Figures 4.3, 4.4, 4.6-4.8, tables, claims; plus Proposition 2's
constructions and the Figure 4.2 reward check. Exposes CH4_TWOSTAGE_OUTPUTS and CH4_TWOSTAGE_CLAIMS.
"""

CH4TS = config["ch4_twostage"]
CH4TS_DIR = "results/ch4/twostage"
CH4TS_FIG = "figures/ch4"
CH4TS_KINDS = ["ucb", "greedy", "pg"]
CH4TS_SYN_JOBS = expand("{d}/synthetic/A{arms}_d{dim}.parquet", d=CH4TS_DIR,
                        arms=CH4TS["synthetic"]["arms"], dim=CH4TS["synthetic"]["d"])
CH4TS_AMZ_JOBS = expand("{d}/amazon/A{arms}_s{s}.parquet", d=CH4TS_DIR,
                        arms=CH4TS["amazon"]["arms"], s=CH4TS["amazon"]["s"])
CH4TS_RELATIVE = {"fig_4_6": 2, "fig_4_7": 5, "fig_4_8": 10}

CH4_TWOSTAGE_OUTPUTS = [
    *[f"{CH4TS_FIG}/{name}.{ext}" for name in ["fig_4_2", "fig_4_3", "fig_4_4", *CH4TS_RELATIVE] for ext in ("pdf", "png")],
    *[f"{CH4TS_FIG}/table_4_{i}.{ext}" for i in range(1, 5) for ext in ("csv", "md")],
]
CH4_TWOSTAGE_CLAIMS = [f"{CH4TS_DIR}/claims.csv"]


localrules:
    ch4ts_select,
    ch4ts_aggregate,
    ch4ts_amazon_rewards,
    fig_4_2,
    fig_4_3,
    fig_4_4,
    fig_4_6,
    fig_4_7,
    fig_4_8,
    tab_4_1,
    tab_4_2,
    tab_4_3,
    tab_4_4,
    claims_ch4_twostage,



rule ch4ts_tune:
    """Single-stage sweep of one learner kind over its grid, no misspecification (Tables 4.1/4.3)."""
    input:
        ch4ts_data_inputs,
    output:
        f"{CH4TS_DIR}/tuning/{{dataset}}_{{kind}}.parquet",
    params:
        cfg=CH4TS,
        folder=lambda wc, input: str(Path(input[0]).parent) if len(input) else "",
    wildcard_constraints:
        dataset="synthetic|amazon",
        kind="ucb|greedy|pg",
    benchmark:
        "results/benchmarks/ch4ts_tune/tune_{dataset}_{kind}.tsv"
    log:
        "logs/ch4/twostage/tune_{dataset}_{kind}.log",
    threads: 1
    resources:
        runtime=res("ch4_twostage_tune")["runtime"],
        mem_mb=res("ch4_twostage_tune")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/ch4_tune.py"


rule ch4ts_select:
    """Selected hyperparameters per learner kind: lowest average regret over the seeds."""
    input:
        expand(f"{CH4TS_DIR}/tuning/{{{{dataset}}}}_{{kind}}.parquet", kind=CH4TS_KINDS),
    output:
        f"{CH4TS_DIR}/hyper_{{dataset}}.csv",
    wildcard_constraints:
        dataset="synthetic|amazon",
    benchmark:
        "results/benchmarks/ch4ts_select/select_{dataset}.tsv"
    log:
        "logs/ch4/twostage/select_{dataset}.log",
    conda:
        ENV
    script:
        "../../scripts/ch4_select.py"


rule ch4ts_synthetic:
    """All systems on the synthetic bandit for one (arm count, d), every noise level, rho and N (Table 4.2)."""
    input:
        hyper=f"{CH4TS_DIR}/hyper_synthetic.csv",
    output:
        f"{CH4TS_DIR}/synthetic/A{{arms}}_d{{dim}}.parquet",
    params:
        cfg=CH4TS,
    wildcard_constraints:
        arms=r"\d+",
        dim=r"\d+",
    benchmark:
        "results/benchmarks/ch4ts_synthetic/synthetic_A{arms}_d{dim}.tsv"
    log:
        "logs/ch4/twostage/synthetic_A{arms}_d{dim}.log",
    threads: 1
    resources:
        runtime=res("ch4_twostage_run")["runtime"],
        mem_mb=res("ch4_twostage_run")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/ch4_synthetic.py"


rule ch4ts_amazon:
    """All systems on the AmazonCat bandit for one (arm count, nominator features s) and every N (Table 4.4)."""
    input:
        processed("amazoncat"),
        hyper=f"{CH4TS_DIR}/hyper_amazon.csv",
    output:
        f"{CH4TS_DIR}/amazon/A{{arms}}_s{{s}}.parquet",
    params:
        cfg=CH4TS,
        folder=lambda wc, input: str(Path(input[0]).parent) if len(input) else "",
    wildcard_constraints:
        arms=r"\d+",
        s=r"\d+",
    benchmark:
        "results/benchmarks/ch4ts_amazon/amazon_A{arms}_s{s}.tsv"
    log:
        "logs/ch4/twostage/amazon_A{arms}_s{s}.log",
    threads: 1
    resources:
        runtime=res("ch4_twostage_run")["runtime"],
        mem_mb=res("ch4_twostage_run")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/ch4_amazon.py"


rule ch4ts_aggregate:
    """All runs of one dataset in one table, with relative regret and d/s."""
    input:
        lambda wc: CH4TS_SYN_JOBS if wc.dataset == "synthetic" else CH4TS_AMZ_JOBS,
    output:
        f"{CH4TS_DIR}/{{dataset}}.parquet",
    wildcard_constraints:
        dataset="synthetic|amazon",
    benchmark:
        "results/benchmarks/ch4ts_aggregate/aggregate_{dataset}.tsv"
    log:
        "logs/ch4/twostage/aggregate_{dataset}.log",
    conda:
        ENV
    script:
        "../../scripts/ch4_aggregate.py"


rule ch4ts_proposition2:
    """Proposition 2: supervised limits and simulated bandit constructions (training-on-own vs -all)."""
    output:
        supervised=f"{CH4TS_DIR}/proposition2_supervised.csv",
        bandit=f"{CH4TS_DIR}/proposition2_bandit.csv",
    params:
        cfg=CH4TS,
    benchmark:
        "results/benchmarks/ch4ts_proposition2/proposition2.tsv"
    log:
        "logs/ch4/twostage/proposition2.log",
    threads: 1
    resources:
        runtime=res("ch4_twostage_run")["runtime"],
        mem_mb=res("ch4_twostage_run")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/ch4_proposition2.py"


rule ch4ts_amazon_rewards:
    """Figure 4.2 (right) check: per-arm shares of positive rewards, positive rate and coverage."""
    input:
        processed("amazoncat"),
    output:
        histogram=f"{CH4TS_DIR}/amazon_reward_histogram.csv",
        stats=f"{CH4TS_DIR}/amazon_reward_stats.json",
    params:
        cfg=CH4TS,
        folder=lambda wc, input: str(Path(input[0]).parent) if len(input) else "",
    benchmark:
        "results/benchmarks/ch4ts_amazon_rewards/amazon_rewards.tsv"
    log:
        "logs/ch4/twostage/amazon_rewards.log",
    conda:
        ENV
    script:
        "../../scripts/ch4_amazon_rewards.py"


rule fig_4_2:
    """Figure 4.2 (right): the Amazon reward histogram (per-arm shares of the positive rewards)."""
    input:
        histogram=f"{CH4TS_DIR}/amazon_reward_histogram.csv",
        manifests=[manifest("amazoncat")],
    output:
        pdf=f"{CH4TS_FIG}/fig_4_2.pdf",
        png=report(f"{CH4TS_FIG}/fig_4_2.png", caption="../report/fig_4_2.rst", category="Chapter 4"),
        provenance=f"{CH4TS_FIG}/fig_4_2.provenance.json",
    benchmark:
        "results/benchmarks/fig_4_2/fig_4_2.tsv"
    log:
        "logs/ch4/twostage/fig_4_2.log",
    conda:
        ENV
    script:
        "../../scripts/fig_4_2.py"


rule fig_4_3:
    """Figure 4.3: synthetic regret at T against d/s; (a) columns d, (b) columns N."""
    input:
        runs=f"{CH4TS_DIR}/synthetic.parquet",
    output:
        pdf=f"{CH4TS_FIG}/fig_4_3.pdf",
        png=report(f"{CH4TS_FIG}/fig_4_3.png", caption="../report/fig_4_3.rst", category="Chapter 4"),
        provenance=f"{CH4TS_FIG}/fig_4_3.provenance.json",
    params:
        cfg=CH4TS,
        figure="4.3",
    benchmark:
        "results/benchmarks/fig_4_3/fig_4_3.tsv"
    log:
        "logs/ch4/twostage/fig_4_3.log",
    conda:
        ENV
    script:
        "../../scripts/ch4_figures.py"


rule fig_4_4:
    """Figure 4.4: Amazon relative regret against d/s, and the nominator/ranker regret split."""
    input:
        runs=f"{CH4TS_DIR}/amazon.parquet",
        manifests=[manifest("amazoncat")],
    output:
        pdf=f"{CH4TS_FIG}/fig_4_4.pdf",
        png=report(f"{CH4TS_FIG}/fig_4_4.png", caption="../report/fig_4_4.rst", category="Chapter 4"),
        provenance=f"{CH4TS_FIG}/fig_4_4.provenance.json",
    params:
        cfg=CH4TS,
        figure="4.4",
    benchmark:
        "results/benchmarks/fig_4_4/fig_4_4.tsv"
    log:
        "logs/ch4/twostage/fig_4_4.log",
    conda:
        ENV
    script:
        "../../scripts/ch4_figures.py"


for _name, _n in CH4TS_RELATIVE.items():

    rule:
        name:
            _name
        input:
            runs=f"{CH4TS_DIR}/synthetic.parquet",
        output:
            pdf=f"{CH4TS_FIG}/{_name}.pdf",
            png=report(f"{CH4TS_FIG}/{_name}.png", caption=f"../report/{_name}.rst", category="Chapter 4"),
            provenance=f"{CH4TS_FIG}/{_name}.provenance.json",
        params:
            cfg=CH4TS,
            figure="relative",
            nominators=_n,
        log:
            f"logs/ch4/twostage/{_name}.log",
        conda:
            ENV
        script:
            "../../scripts/ch4_figures.py"


rule tab_4_1:
    """Table 4.1: synthetic hyperparameter grid, selected values in bold."""
    input:
        tuning=expand(f"{CH4TS_DIR}/tuning/synthetic_{{kind}}.parquet", kind=CH4TS_KINDS),
        hyper=f"{CH4TS_DIR}/hyper_synthetic.csv",
    output:
        csv=f"{CH4TS_FIG}/table_4_1.csv",
        md=report(f"{CH4TS_FIG}/table_4_1.md", caption="../report/tab_4_1.rst", category="Chapter 4"),
        provenance=f"{CH4TS_FIG}/table_4_1.provenance.json",
    params:
        table="4.1",
        title="Table 4.1: hyperparameter grid for the synthetic dataset (selected in bold)",
    benchmark:
        "results/benchmarks/tab_4_1/tab_4_1.tsv"
    log:
        "logs/ch4/twostage/tab_4_1.log",
    conda:
        ENV
    script:
        "../../scripts/ch4_tables.py"


rule tab_4_2:
    """Table 4.2: evaluated configurations for the synthetic dataset."""
    input:
        runs=f"{CH4TS_DIR}/synthetic.parquet",
    output:
        csv=f"{CH4TS_FIG}/table_4_2.csv",
        md=report(f"{CH4TS_FIG}/table_4_2.md", caption="../report/tab_4_2.rst", category="Chapter 4"),
        provenance=f"{CH4TS_FIG}/table_4_2.provenance.json",
    params:
        table="4.2",
        dataset="synthetic",
        title="Table 4.2: evaluated configurations for the synthetic dataset",
    benchmark:
        "results/benchmarks/tab_4_2/tab_4_2.tsv"
    log:
        "logs/ch4/twostage/tab_4_2.log",
    conda:
        ENV
    script:
        "../../scripts/ch4_tables.py"


rule tab_4_3:
    """Table 4.3: Amazon hyperparameter grid, selected values in bold."""
    input:
        tuning=expand(f"{CH4TS_DIR}/tuning/amazon_{{kind}}.parquet", kind=CH4TS_KINDS),
        hyper=f"{CH4TS_DIR}/hyper_amazon.csv",
        manifests=[manifest("amazoncat")],
    output:
        csv=f"{CH4TS_FIG}/table_4_3.csv",
        md=report(f"{CH4TS_FIG}/table_4_3.md", caption="../report/tab_4_3.rst", category="Chapter 4"),
        provenance=f"{CH4TS_FIG}/table_4_3.provenance.json",
    params:
        table="4.3",
        title="Table 4.3: hyperparameter grid for the Amazon dataset (selected in bold)",
    benchmark:
        "results/benchmarks/tab_4_3/tab_4_3.tsv"
    log:
        "logs/ch4/twostage/tab_4_3.log",
    conda:
        ENV
    script:
        "../../scripts/ch4_tables.py"


rule tab_4_4:
    """Table 4.4: evaluated configurations for the Amazon dataset."""
    input:
        runs=f"{CH4TS_DIR}/amazon.parquet",
        manifests=[manifest("amazoncat")],
    output:
        csv=f"{CH4TS_FIG}/table_4_4.csv",
        md=report(f"{CH4TS_FIG}/table_4_4.md", caption="../report/tab_4_4.rst", category="Chapter 4"),
        provenance=f"{CH4TS_FIG}/table_4_4.provenance.json",
    params:
        table="4.4",
        dataset="amazon",
        title="Table 4.4: evaluated configurations for the Amazon dataset",
    benchmark:
        "results/benchmarks/tab_4_4/tab_4_4.tsv"
    log:
        "logs/ch4/twostage/tab_4_4.log",
    conda:
        ENV
    script:
        "../../scripts/ch4_tables.py"


rule claims_ch4_twostage:
    """Chapter 4 claims except the MoE ones (recdyn.claims.ch4): Figure 4.2, section 4.3, Proposition 2, 4.6, 4.8."""
    input:
        synthetic=f"{CH4TS_DIR}/synthetic.parquet",
        amazon=f"{CH4TS_DIR}/amazon.parquet",
        supervised=f"{CH4TS_DIR}/proposition2_supervised.csv",
        bandit=f"{CH4TS_DIR}/proposition2_bandit.csv",
        rewards=f"{CH4TS_DIR}/amazon_reward_stats.json",
        histogram=f"{CH4TS_DIR}/amazon_reward_histogram.csv",
        tuning_synthetic=expand(f"{CH4TS_DIR}/tuning/synthetic_{{kind}}.parquet", kind=CH4TS_KINDS),
        tuning_amazon=expand(f"{CH4TS_DIR}/tuning/amazon_{{kind}}.parquet", kind=CH4TS_KINDS),
        hyper_synthetic=f"{CH4TS_DIR}/hyper_synthetic.csv",
        hyper_amazon=f"{CH4TS_DIR}/hyper_amazon.csv",
        manifests=[manifest("amazoncat")],
    output:
        f"{CH4TS_DIR}/claims.csv",
    params:
        cfg=CH4TS,
        preset=config["preset"],
    benchmark:
        "results/benchmarks/claims_ch4_twostage/claims.tsv"
    log:
        "logs/ch4/twostage/claims.log",
    conda:
        ENV
    script:
        "../../scripts/ch4_claims.py"
