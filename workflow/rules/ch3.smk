"""Chapter 3: CAFL against Feedback and Uniform (Figures 3.2-3.4) and the corrections of Table 3.1."""


localrules:
    ch3_table,
    fig_3_2,
    fig_3_3,
    fig_3_4,
    tab_3_1,
    claims_ch3,


rule ch3_run:
    """Repetitions of one learner (feedback, uniform, cafl) in one environment (section 3.4)."""
    input:
        unpack(env_model),
    output:
        runs="results/ch3/runs/{env}/{learner}/chunk{chunk}.parquet",
        timing="results/ch3/runs/{env}/{learner}/chunk{chunk}.timing.parquet",
    params:
        env_params=lambda wc: CH3["envs"][wc.env]["params"],
        run=lambda wc: CH3["envs"][wc.env]["run"],
        seeds=lambda wc: trial_seeds(CH3["seed"], CH3_CHUNKS[int(wc.chunk)]),
    wildcard_constraints:
        env="beta-rank|ml-100k",
        learner="feedback|uniform|cafl",
        chunk=r"\d+",
    benchmark:
        "results/benchmarks/ch3_run/run_{env}_{learner}_{chunk}.tsv"
    log:
        "logs/ch3/run_{env}_{learner}_{chunk}.log",
    threads: 1
    resources:
        runtime=res("ch3_run")["runtime"],
        mem_mb=res("ch3_run")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/ch3_run.py"


rule ch3_table:
    """All runs of one environment as one tidy per-step table."""
    input:
        lambda wc: expand(
            "results/ch3/runs/{env}/{learner}/chunk{chunk}.parquet",
            env=wc.env,
            learner=CH3["learners"],
            chunk=range(len(CH3_CHUNKS)),
        ),
    output:
        "results/ch3/{env}.parquet",
    wildcard_constraints:
        env="beta-rank|ml-100k",
    benchmark:
        "results/benchmarks/ch3_table/table_{env}.tsv"
    log:
        "logs/ch3/table_{env}.log",
    conda:
        ENV
    script:
        "../../scripts/concat_tables.py"


rule fig_3_2:
    """Figure 3.2: test RMSE over time, beta-rank-v1 and ml100k-v1."""
    input:
        runs=expand("results/ch3/{env}.parquet", env=CH3_ENVS),
        manifests=[manifest("ml100k")],
    output:
        pdf="figures/ch3/fig_3_2.pdf",
        png=report("figures/ch3/fig_3_2.png", caption="../report/fig_3_2.rst", category="Chapter 3"),
        provenance="figures/ch3/fig_3_2.provenance.json",
    params:
        value="rmse",
        ylabel="test RMSE",
        logit=False,
    benchmark:
        "results/benchmarks/fig_3_2/fig_3_2.tsv"
    log:
        "logs/ch3/fig_3_2.log",
    conda:
        ENV
    script:
        "../../scripts/fig_ch3.py"


rule fig_3_3:
    """Figure 3.3: test NDCG over time (logit-scaled y axis)."""
    input:
        runs=expand("results/ch3/{env}.parquet", env=CH3_ENVS),
        manifests=[manifest("ml100k")],
    output:
        pdf="figures/ch3/fig_3_3.pdf",
        png=report("figures/ch3/fig_3_3.png", caption="../report/fig_3_3.rst", category="Chapter 3"),
        provenance="figures/ch3/fig_3_3.provenance.json",
    params:
        value="ndcg",
        ylabel="test NDCG",
        logit=True,
    benchmark:
        "results/benchmarks/fig_3_3/fig_3_3.tsv"
    log:
        "logs/ch3/fig_3_3.log",
    conda:
        ENV
    script:
        "../../scripts/fig_ch3.py"


rule fig_3_4:
    """Figure 3.4: Jaccard index of recommended sets minus the oracle's, over time."""
    input:
        runs=expand("results/ch3/{env}.parquet", env=CH3_ENVS),
        manifests=[manifest("ml100k")],
    output:
        pdf="figures/ch3/fig_3_4.pdf",
        png=report("figures/ch3/fig_3_4.png", caption="../report/fig_3_4.rst", category="Chapter 3"),
        provenance="figures/ch3/fig_3_4.provenance.json",
    params:
        value="jaccard_change",
        ylabel="change in Jaccard index vs oracle",
        logit=False,
    benchmark:
        "results/benchmarks/fig_3_4/fig_3_4.tsv"
    log:
        "logs/ch3/fig_3_4.log",
    conda:
        ENV
    script:
        "../../scripts/fig_ch3.py"


rule ch3_corrections:
    """Table 3.1 runs: the Chaney-style simulation and GMF under five weightings (one job per chunk)."""
    output:
        runs="results/ch3/table_3_1/chunk{chunk}.parquet",
        timing="results/ch3/table_3_1/chunk{chunk}.timing.parquet",
    params:
        table=CH3["table_3_1"],
    wildcard_constraints:
        chunk=r"\d+",
    benchmark:
        "results/benchmarks/ch3_corrections/corrections_{chunk}.tsv"
    log:
        "logs/ch3/corrections_{chunk}.log",
    threads: 1
    resources:
        runtime=res("ch3_corrections")["runtime"],
        mem_mb=res("ch3_corrections")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/ch3_corrections.py"


rule tab_3_1:
    """Table 3.1: MSE and MAE of each weighting, mean and spread over runs, beside the thesis' numbers."""
    input:
        expand("results/ch3/table_3_1/chunk{chunk}.parquet", chunk=range(CH3_TABLE_CHUNKS)),
    output:
        csv="figures/ch3/table_3_1.csv",
        md=report("figures/ch3/table_3_1.md", caption="../report/table_3_1.rst", category="Chapter 3"),
        provenance="figures/ch3/table_3_1.provenance.json",
    benchmark:
        "results/benchmarks/tab_3_1/tab_3_1.tsv"
    log:
        "logs/ch3/tab_3_1.log",
    conda:
        ENV
    script:
        "../../scripts/tab_3_1.py"


rule claims_ch3:
    """Chapter 3 claims (recdyn.claims.ch3): Figures 3.2-3.4 from the per-step runs, Table 3.1 from
    its per-run results (paired comparisons need every run, not the table's means)."""
    input:
        runs=expand("results/ch3/{env}.parquet", env=CH3_ENVS),
        table=expand("results/ch3/table_3_1/chunk{chunk}.parquet", chunk=range(CH3_TABLE_CHUNKS)),
        manifests=[manifest("ml100k")],
    output:
        "results/ch3/claims.csv",
    benchmark:
        "results/benchmarks/claims_ch3/claims.tsv"
    log:
        "logs/ch3/claims.log",
    conda:
        ENV
    script:
        "../../scripts/claims_ch3.py"
