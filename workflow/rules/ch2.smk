"""Chapter 2: the simulation framework's offline datasets, online trials and Figure 2.7."""

rule ch2_offline:
    """Offline dataset of one environment under one sampling scheme (sections 2.5, 2.6)."""
    input:
        unpack(env_model),
    output:
        "results/ch2/offline/{env}/{scheme}.parquet",
    params:
        env_params=lambda wc: {**CH2["envs"][wc.env]["params"], "sampling": wc.scheme},
        seed=CH2["seed"],
    wildcard_constraints:
        env="|".join(CH2_ENVS),
        scheme="uniform|ml100k-init|ml100k-init-flip",
    log:
        "logs/ch2/offline_{env}_{scheme}.log",
    threads: 1
    resources:
        runtime=res("default")["runtime"],
        mem_mb=res("ch2_online")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/ch2_offline.py"


rule ch2_online:
    """Online trials (section 2.6) of one recommender in one environment, one chunk of trials."""
    input:
        unpack(env_model),
    output:
        "results/ch2/online/{env}/{recommender}/chunk{chunk}.parquet",
    params:
        env_params=lambda wc: CH2["envs"][wc.env]["params"],
        total_ratings=lambda wc: CH2["envs"][wc.env]["total_ratings"],
        recommender_params=lambda wc: CH2["recommenders"][wc.recommender],
        seeds=lambda wc: trial_seeds(CH2["seed"], CH2_CHUNKS[int(wc.chunk)]),
    wildcard_constraints:
        env="|".join(CH2_ENVS),
        recommender="|".join(CH2_RECOMMENDERS),
        chunk=r"\d+",
    log:
        "logs/ch2/online_{env}_{recommender}_{chunk}.log",
    threads: 1
    resources:
        runtime=res("ch2_online")["runtime"],
        mem_mb=res("ch2_online")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/ch2_online.py"


rule ch2_online_table:
    """All online trials of one environment, every recommender, as one tidy per-step table."""
    input:
        ch2_online_chunks,
    output:
        "results/ch2/online/{env}.parquet",
    wildcard_constraints:
        env="|".join(CH2_ENVS),
    log:
        "logs/ch2/online_table_{env}.log",
    threads: 1
    resources:
        runtime=res("default")["runtime"],
        mem_mb=res("default")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/concat_tables.py"


rule ch2_affinity:
    """Per-trial mean topic affinities after the Figure 2.7 recommender's runs."""
    input:
        "results/ch2/online/{env}.parquet",
    output:
        "results/ch2/affinity/{env}.parquet",
    params:
        recommender=CH2["fig_2_7"]["recommender"],
    wildcard_constraints:
        env="topics-static|topics-dynamic",
    log:
        "logs/ch2/affinity_{env}.log",
    threads: 1
    resources:
        runtime=res("default")["runtime"],
        mem_mb=res("default")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/ch2_affinity.py"


rule fig_2_7:
    """Figure 2.7: mean affinity per topic after TopPop, topics-dynamic vs topics-static."""
    input:
        dynamic="results/ch2/affinity/topics-dynamic.parquet",
        static="results/ch2/affinity/topics-static.parquet",
    output:
        pdf="figures/ch2/fig_2_7.pdf",
        png=report("figures/ch2/fig_2_7.png", caption="../report/fig_2_7.rst", category="Chapter 2"),
        provenance=report(
            "figures/ch2/fig_2_7.provenance.json",
            caption="../report/provenance.rst",
            category="Provenance",
        ),
    log:
        "logs/ch2/fig_2_7.log",
    threads: 1
    resources:
        runtime=res("default")["runtime"],
        mem_mb=res("default")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/fig_2_7.py"


rule claims_ch2:
    """Chapter 2 claims (Figure 2.7 so far)."""
    input:
        dynamic="results/ch2/affinity/topics-dynamic.parquet",
        static="results/ch2/affinity/topics-static.parquet",
    output:
        "results/ch2/claims.csv",
    params:
        threshold=CH2["fig_2_7"]["affinity_threshold"],
        min_topics=CH2["fig_2_7"]["min_topics"],
    log:
        "logs/ch2/claims.log",
    threads: 1
    resources:
        runtime=res("default")["runtime"],
        mem_mb=res("default")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/claims_ch2.py"
