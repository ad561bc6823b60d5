"""Chapter 2: offline datasets, tuning, online trials, Figure 2.7 and the recommender table."""


localrules:
    ch2_select,
    ch2_online_table,
    ch2_affinity,
    fig_2_7,
    claims_ch2,
    tab_ch2_recommenders,

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


rule ch2_tune:
    """5-fold CV of a chunk of one recommender's grid on one environment's offline dataset (2.5, 2.6)."""
    input:
        unpack(env_model),
        offline="results/ch2/offline/{env}/uniform.parquet",
    output:
        "results/ch2/tuning/{env}/{recommender}/grid{chunk}.parquet",
    params:
        env_params=lambda wc: CH2["envs"][wc.env]["params"],
        points=lambda wc: CH2_TUNE_CHUNKS[wc.recommender][int(wc.chunk)],
        folds=CH2["tuning"]["folds"],
        k=CH2["tuning"]["k"],
        seed=CH2["seed"],
    wildcard_constraints:
        env="|".join(CH2_ENVS),
        recommender="|".join(CH2_RECOMMENDERS),
        chunk=r"\d+",
    log:
        "logs/ch2/tune_{env}_{recommender}_{chunk}.log",
    threads: 1
    resources:
        runtime=res("ch2_tune")["runtime"],
        mem_mb=res("ch2_tune")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/ch2_tune.py"


rule ch2_select:
    """The selected hyperparameters of one recommender on one environment (never re-tuned)."""
    input:
        ch2_tune_chunks,
    output:
        selection="results/ch2/tuning/{env}/{recommender}.json",
        table="results/ch2/tuning/{env}/{recommender}.parquet",
    wildcard_constraints:
        env="|".join(CH2_ENVS),
        recommender="|".join(CH2_RECOMMENDERS),
    log:
        "logs/ch2/select_{env}_{recommender}.log",
    threads: 1
    resources:
        runtime=res("default")["runtime"],
        mem_mb=res("default")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/ch2_select.py"


rule tab_ch2_recommenders:
    """Table: every recommender's tuned hyperparameters, 5-fold RMSE and nDCG@k, and fit time, per environment."""
    input:
        selections=expand("results/ch2/tuning/{env}/{recommender}.json", env=CH2_ENVS, recommender=CH2_RECOMMENDERS),
        manifests=[manifest("ml100k")] if "ml-100k" in CH2_ENVS else [],
    output:
        csv="figures/ch2/table_recommenders.csv",
        md=report(
            "figures/ch2/table_recommenders.md",
            caption="../report/table_recommenders.rst",
            category="Chapter 2",
        ),
        provenance=report(
            "figures/ch2/table_recommenders.provenance.json",
            caption="../report/provenance.rst",
            category="Provenance",
        ),
    log:
        "logs/ch2/table_recommenders.log",
    threads: 1
    resources:
        runtime=res("default")["runtime"],
        mem_mb=res("default")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/tab_ch2_recommenders.py"


rule ch2_online:
    """Online trials (section 2.6) of one recommender in one environment, one chunk of trials."""
    input:
        unpack(env_model),
        selection="results/ch2/tuning/{env}/{recommender}.json",
    output:
        "results/ch2/online/{env}/{recommender}/chunk{chunk}.parquet",
    params:
        env_params=lambda wc: CH2["envs"][wc.env]["params"],
        total_ratings=lambda wc: CH2["envs"][wc.env]["total_ratings"],
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
        lambda wc: expand(
            "results/ch2/online/{env}/{recommender}/chunk{chunk}.parquet",
            env=wc.env,
            recommender=CH2["fig_2_7"]["recommender"],
            chunk=range(len(CH2_CHUNKS)),
        ),
    output:
        "results/ch2/affinity/{env}.parquet",
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
