"""Chapter 2: offline datasets, tuning, online trials, Figure 2.7 and the recommender table."""


localrules:
    ch2_select,
    ch2_online_table,
    ch2_affinity,
    ch2_sampling_summary,
    ch2_offline_online,
    fig_2_1,
    fig_2_3,
    fig_2_4,
    fig_2_5,
    fig_2_6,
    fig_2_7,
    fig_2_8,
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
    benchmark:
        "results/benchmarks/ch2_offline/offline_{env}_{scheme}.tsv"
    log:
        "logs/ch2/offline_{env}_{scheme}.log",
    threads: 1
    priority: 20  # the chain to ch2_online starts first: priorities do not propagate upstream (without this,
    # the six synthetic environments' offline datasets waited 47 minutes behind chapter 4/5 jobs)
    resources:
        runtime=res("default")["runtime"],
        mem_mb=res("ch2_online")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/ch2_offline.py"


if not CH2_GROUPED:

    rule ch2_tune:
        """5-fold CV of a chunk of one recommender's grid on one environment's offline dataset (2.5, 2.6)."""
        input:
            unpack(env_model),
            offline="results/ch2/offline/{env}/uniform.parquet",
        output:
            grid="results/ch2/tuning/{env}/{recommender}/grid{chunk}.parquet",
            timing="results/ch2/tuning/{env}/{recommender}/grid{chunk}.timing.parquet",
        params:
            env_params=lambda wc: CH2["envs"][wc.env]["params"],
            tasks=lambda wc, output: [ch2_tune_task(wc.recommender, int(wc.chunk), output.grid, output.timing)],
            folds=CH2["tuning"]["folds"],
            k=CH2["tuning"]["k"],
            seed=CH2["seed"],
        wildcard_constraints:
            env="|".join(CH2_ENVS),
            recommender="|".join(CH2_RECOMMENDERS),
            chunk=r"\d+",
        benchmark:
            "results/benchmarks/ch2_tune/tune_{env}_{recommender}_{chunk}.tsv"
        log:
            "logs/ch2/tune_{env}_{recommender}_{chunk}.log",
        threads: 1
        priority: 20  # the chain to ch2_online, the longest jobs, starts first
        resources:
            runtime=res("ch2_tune")["runtime"],
            mem_mb=res("ch2_tune")["mem_mb"],
        conda:
            ENV
        script:
            "../../scripts/ch2_tune.py"

else:

    rule ch2_tune:
        """5-fold CV of every recommender's grid on one environment's offline dataset (2.5, 2.6), all in
        one job (ch2.group_by_env: start-up and data loading paid once per environment)."""
        input:
            unpack(env_model),
            offline="results/ch2/offline/{env}/uniform.parquet",
        output:
            grid=CH2_TUNE_OUTPUTS,
            timing=[path.replace(".parquet", ".timing.parquet") for path in CH2_TUNE_OUTPUTS],
        params:
            env_params=lambda wc: CH2["envs"][wc.env]["params"],
            tasks=lambda wc, output: [
                ch2_tune_task(rec, chunk, grid, timing, env=wc.env)
                for (rec, chunk), grid, timing in zip(CH2_TUNE_KEYS, output.grid, output.timing)
            ],
            folds=CH2["tuning"]["folds"],
            k=CH2["tuning"]["k"],
            seed=CH2["seed"],
        wildcard_constraints:
            env="|".join(CH2_ENVS),
        benchmark:
            f"results/benchmarks/ch2_tune/tune_{{env}}_{CH2_ALL}_0.tsv"
        log:
            "logs/ch2/tune_{env}.log",
        threads: 1
        priority: 20  # the chain to ch2_online, the longest jobs, starts first
        resources:
            runtime=res("ch2_tune")["runtime"],
            mem_mb=res("ch2_tune")["mem_mb"],
        conda:
            ENV
        script:
            "../../scripts/ch2_tune.py"


rule ch2_select:
    """The selected hyperparameters of every recommender on one environment (never re-tuned), and the
    selected points' fit and prediction times (timing files); one job per environment, so the
    start-up is paid once and not once per recommender."""
    input:
        grids=ch2_env_tune_chunks,
        timings=lambda wc: [path.replace(".parquet", ".timing.parquet") for path in ch2_env_tune_chunks(wc)],
    output:
        selection=expand("results/ch2/tuning/{{env}}/{recommender}.json", recommender=CH2_RECOMMENDERS),
        table=expand("results/ch2/tuning/{{env}}/{recommender}.parquet", recommender=CH2_RECOMMENDERS),
        timing=expand("results/ch2/tuning/{{env}}/{recommender}.timing.json", recommender=CH2_RECOMMENDERS),
    params:
        recommenders=CH2_RECOMMENDERS,
    wildcard_constraints:
        env="|".join(CH2_ENVS),
    benchmark:
        "results/benchmarks/ch2_select/select_{env}.tsv"
    log:
        "logs/ch2/select_{env}.log",
    threads: 1
    priority: 20  # the chain to ch2_online, the longest jobs, starts first
    resources:
        runtime=res("default")["runtime"],
        mem_mb=res("default")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/ch2_select.py"


rule tab_ch2_recommenders:
    """Table: every recommender's tuned hyperparameters, 5-fold RMSE and nDCG@k per environment; their
    fit and prediction times in a separate timing table."""
    input:
        selections=expand("results/ch2/tuning/{env}/{recommender}.json", env=CH2_ENVS, recommender=CH2_RECOMMENDERS),
        timings=expand(
            "results/ch2/tuning/{env}/{recommender}.timing.json", env=CH2_ENVS, recommender=CH2_RECOMMENDERS
        ),
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
        timing_csv="figures/ch2/table_recommenders.timing.csv",
        timing_md=report(
            "figures/ch2/table_recommenders.timing.md",
            caption="../report/table_recommenders_timing.rst",
            category="Chapter 2",
        ),
        timing_provenance="figures/ch2/table_recommenders.timing.provenance.json",
    benchmark:
        "results/benchmarks/tab_ch2_recommenders/table_recommenders.tsv"
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


if not CH2_GROUPED:

    rule ch2_online:
        """Online trials (section 2.6) of one recommender in one environment, one chunk of trials."""
        input:
            unpack(env_model),
            selection=["results/ch2/tuning/{env}/{recommender}.json"],
        output:
            trials=["results/ch2/online/{env}/{recommender}/chunk{chunk}.parquet"],
            timing=["results/ch2/online/{env}/{recommender}/chunk{chunk}.timing.parquet"],
        params:
            env_params=lambda wc: CH2["envs"][wc.env]["params"],
            total_ratings=lambda wc: CH2["envs"][wc.env]["total_ratings"],
            seeds=lambda wc: trial_seeds(CH2["seed"], ch2_chunks(wc.env)[int(wc.chunk)]),
            recommenders=lambda wc: [wc.recommender],
            retrain_every=lambda wc: [ch2_retrain_every(wc.env, wc.recommender)],
        wildcard_constraints:
            env="|".join(CH2_ENVS),
            recommender="|".join(CH2_RECOMMENDERS),
            chunk=r"\d+",
        benchmark:
            "results/benchmarks/ch2_online/online_{env}_{recommender}_{chunk}.tsv"
        log:
            "logs/ch2/online_{env}_{recommender}_{chunk}.log",
        threads: 1
        priority: 10  # the longest jobs (up to about 10 min) start first, not last
        resources:
            runtime=res("ch2_online")["runtime"],
            mem_mb=res("ch2_online")["mem_mb"],
        conda:
            ENV
        script:
            "../../scripts/ch2_online.py"

else:

    rule ch2_online:
        """Online trials (section 2.6) of every online recommender in one environment, one chunk of
        trials, one recommender after the other in one job (ch2.group_by_env)."""
        input:
            unpack(env_model),
            selection=expand("results/ch2/tuning/{{env}}/{recommender}.json", recommender=CH2_ONLINE),
        output:
            trials=expand("results/ch2/online/{{env}}/{recommender}/chunk{{chunk}}.parquet", recommender=CH2_ONLINE),
            timing=expand(
                "results/ch2/online/{{env}}/{recommender}/chunk{{chunk}}.timing.parquet", recommender=CH2_ONLINE
            ),
        params:
            env_params=lambda wc: CH2["envs"][wc.env]["params"],
            total_ratings=lambda wc: CH2["envs"][wc.env]["total_ratings"],
            seeds=lambda wc: trial_seeds(CH2["seed"], ch2_chunks(wc.env)[int(wc.chunk)]),
            recommenders=CH2_ONLINE,
            retrain_every=lambda wc: [ch2_retrain_every(wc.env, rec) for rec in CH2_ONLINE],
            task_benchmarks=ch2_online_task_benchmarks,
        wildcard_constraints:
            env="|".join(CH2_ENVS),
            chunk=r"\d+",
        benchmark:
            f"results/benchmarks/ch2_online/online_{{env}}_{CH2_ALL}_{{chunk}}.tsv"
        log:
            "logs/ch2/online_{env}_{chunk}.log",
        threads: 1
        priority: 10  # the longest jobs (up to about 10 min) start first, not last
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
    benchmark:
        "results/benchmarks/ch2_online_table/online_table_{env}.tsv"
    log:
        "logs/ch2/online_table_{env}.log",
    threads: 1
    resources:
        runtime=res("default")["runtime"],
        mem_mb=res("default")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/ch2_online_table.py"


rule ch2_affinity:
    """Per-trial mean topic affinities after the Figure 2.7 recommender's runs."""
    input:
        lambda wc: expand(
            "results/ch2/online/{env}/{recommender}/chunk{chunk}.parquet",
            env=wc.env,
            recommender=CH2["fig_2_7"]["recommender"],
            chunk=range(len(ch2_chunks(wc.env))),
        ),
    output:
        "results/ch2/affinity/{env}.parquet",
    wildcard_constraints:
        env="topics-static|topics-dynamic",
    benchmark:
        "results/benchmarks/ch2_affinity/affinity_{env}.tsv"
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
    benchmark:
        "results/benchmarks/fig_2_7/fig_2_7.tsv"
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


rule ch2_sampling_cv:
    """Section 2.5: 5-fold nDCG@k and RMSE of one recommender (tuned on UNIFORM-INIT) on a biased scheme's
    dataset (UNIFORM-INIT's are the tuning's own CV metrics at the selected point: same data, folds and seed)."""
    input:
        unpack(sampling_model),
        offline=f"results/ch2/offline/{SAMPLING_ENV}/{{scheme}}.parquet",
        selection=f"results/ch2/tuning/{SAMPLING_ENV}/{{recommender}}.json",
    output:
        cv="results/ch2/sampling/{recommender}/{scheme}.parquet",
        timing="results/ch2/sampling/{recommender}/{scheme}.timing.parquet",
    params:
        env=SAMPLING_ENV,
        env_params=CH2["envs"][SAMPLING_ENV]["params"],
        folds=CH2["tuning"]["folds"],
        k=CH2["tuning"]["k"],
        seed=CH2["seed"],
    wildcard_constraints:
        recommender="|".join(CH2_RECOMMENDERS),
        scheme="ml100k-init|ml100k-init-flip",
    benchmark:
        "results/benchmarks/ch2_sampling_cv/sampling_{recommender}_{scheme}.tsv"
    log:
        "logs/ch2/sampling_{recommender}_{scheme}.log",
    threads: 1
    resources:
        runtime=res("ch2_tune")["runtime"],
        mem_mb=res("ch2_tune")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/ch2_sampling_cv.py"


rule ch2_sampling_control:
    """Section 2.5's control: trained on each whole scheme dataset, evaluated on held-out uniform pairs."""
    input:
        unpack(sampling_model),
        offline=expand("results/ch2/offline/{env}/{scheme}.parquet", env=SAMPLING_ENV, scheme=CONTROL_SCHEMES),
        selection=f"results/ch2/tuning/{SAMPLING_ENV}/{{recommender}}.json",
    output:
        control="results/ch2/sampling/{recommender}/control.parquet",
        timing="results/ch2/sampling/{recommender}/control.timing.parquet",
    params:
        env=SAMPLING_ENV,
        env_params=CH2["envs"][SAMPLING_ENV]["params"],
        schemes=CONTROL_SCHEMES,
        heldout_size=CH2["sampling"]["heldout_size"],
        k=CH2["tuning"]["k"],
        seed=CH2["seed"],
    wildcard_constraints:
        recommender="|".join(CH2_RECOMMENDERS),
    benchmark:
        "results/benchmarks/ch2_sampling_control/sampling_control_{recommender}.tsv"
    log:
        "logs/ch2/sampling_control_{recommender}.log",
    threads: 1
    resources:
        runtime=res("ch2_tune")["runtime"],
        mem_mb=res("ch2_tune")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/ch2_sampling_control.py"


rule ch2_sampling_summary:
    """Section 2.5: every recommender's metrics per scheme and the control, as a table."""
    input:
        cv=expand("results/ch2/sampling/{recommender}/{scheme}.parquet", recommender=CH2_RECOMMENDERS,
                  scheme=[scheme for scheme in CH2["sampling"]["schemes"] if scheme != "uniform"]),
        selections=expand("results/ch2/tuning/{env}/{recommender}.json", env=SAMPLING_ENV,
                          recommender=CH2_RECOMMENDERS),
        control=expand("results/ch2/sampling/{recommender}/control.parquet", recommender=CH2_RECOMMENDERS),
    output:
        summary="results/ch2/sampling/summary.parquet",
        csv="figures/ch2/table_sampling.csv",
        md=report("figures/ch2/table_sampling.md", caption="../report/table_sampling.rst", category="Chapter 2"),
        provenance="figures/ch2/table_sampling.provenance.json",
    benchmark:
        "results/benchmarks/ch2_sampling_summary/sampling_summary.tsv"
    log:
        "logs/ch2/sampling_summary.log",
    threads: 1
    resources:
        runtime=res("default")["runtime"],
        mem_mb=res("default")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/ch2_sampling_summary.py"


rule ch2_offline_online:
    """Section 2.6: tuned offline metrics joined with online mean ratings; Spearman per environment."""
    input:
        selections=[f"results/ch2/tuning/{env}/{rec}.json" for env in CH2_ENVS for rec in CH2_ONLINE],
        online=expand("results/ch2/online/{env}.parquet", env=CH2_ENVS),
    output:
        merged="results/ch2/offline_online.parquet",
        spearman="results/ch2/spearman.parquet",
    benchmark:
        "results/benchmarks/ch2_offline_online/offline_online.tsv"
    log:
        "logs/ch2/offline_online.log",
    threads: 1
    resources:
        runtime=res("default")["runtime"],
        mem_mb=res("ch2_online")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/ch2_offline_online.py"


rule ch2_check_autorec:
    """Section 2.6 side check: AutoRec trained on many uniform ratings, evaluated over a single step."""
    input:
        unpack(lambda wc: check_model(CH2_CHECKS["autorec"])),
        selection=f"results/ch2/tuning/{CH2_CHECKS['autorec']['env']}/{CH2_CHECKS['autorec']['recommender']}.json",
    output:
        check="results/ch2/checks/autorec.parquet",
    params:
        check={**CH2_CHECKS["autorec"], "kind": "single_step"},
        env_params=CH2["envs"][CH2_CHECKS["autorec"]["env"]]["params"],
        seeds=trial_seeds(CH2["seed"], range(CH2_CHECKS["autorec"]["seeds"])),
    benchmark:
        "results/benchmarks/ch2_check_autorec/check_autorec.tsv"
    log:
        "logs/ch2/check_autorec.log",
    threads: 1
    resources:
        runtime=res("ch2_online")["runtime"],
        mem_mb=res("ch2_online")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/ch2_side_check.py"


rule ch2_check_llorma:
    """Section 2.6 side check: LLORMA trained on all offline ratings versus one CV fold's 80%."""
    input:
        unpack(lambda wc: check_model(CH2_CHECKS["llorma"])),
        offline=f"results/ch2/offline/{CH2_CHECKS['llorma']['env']}/uniform.parquet",
        selection=f"results/ch2/tuning/{CH2_CHECKS['llorma']['env']}/{CH2_CHECKS['llorma']['recommender']}.json",
    output:
        check="results/ch2/checks/llorma.parquet",
        timing="results/ch2/checks/llorma.timing.parquet",
    params:
        check={**CH2_CHECKS["llorma"], "kind": "more_data"},
        env_params=CH2["envs"][CH2_CHECKS["llorma"]["env"]]["params"],
        seeds=[CH2["seed"]],
        folds=CH2["tuning"]["folds"],
        k=CH2["tuning"]["k"],
    benchmark:
        "results/benchmarks/ch2_check_llorma/check_llorma.tsv"
    log:
        "logs/ch2/check_llorma.log",
    threads: 1
    resources:
        runtime=res("ch2_tune")["runtime"],
        mem_mb=res("ch2_tune")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/ch2_side_check.py"


rule fig_2_1:
    """Figure 2.1: offline nDCG@20 and RMSE against online mean rating on topics-dynamic."""
    input:
        merged="results/ch2/offline_online.parquet",
    output:
        pdf="figures/ch2/fig_2_1.pdf",
        png=report("figures/ch2/fig_2_1.png", caption="../report/fig_2_1.rst", category="Chapter 2"),
        provenance="figures/ch2/fig_2_1.provenance.json",
    params:
        env="topics-dynamic",
    benchmark:
        "results/benchmarks/fig_2_1/fig_2_1.tsv"
    log:
        "logs/ch2/fig_2_1.log",
    threads: 1
    resources:
        runtime=res("default")["runtime"],
        mem_mb=res("default")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/fig_ch2_offline_online.py"


rule fig_2_6:
    """Figure 2.6: offline nDCG@20 and RMSE against online mean rating on topics-static."""
    input:
        merged="results/ch2/offline_online.parquet",
    output:
        pdf="figures/ch2/fig_2_6.pdf",
        png=report("figures/ch2/fig_2_6.png", caption="../report/fig_2_6.rst", category="Chapter 2"),
        provenance="figures/ch2/fig_2_6.provenance.json",
    params:
        env="topics-static",
    benchmark:
        "results/benchmarks/fig_2_6/fig_2_6.tsv"
    log:
        "logs/ch2/fig_2_6.log",
    threads: 1
    resources:
        runtime=res("default")["runtime"],
        mem_mb=res("default")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/fig_ch2_offline_online.py"


rule fig_2_3:
    """Figure 2.3: nDCG@20 on ML-100K-INIT and ML-100K-INIT-FLIP against UNIFORM-INIT."""
    input:
        summary="results/ch2/sampling/summary.parquet",
    output:
        pdf="figures/ch2/fig_2_3.pdf",
        png=report("figures/ch2/fig_2_3.png", caption="../report/fig_2_3.rst", category="Chapter 2"),
        provenance="figures/ch2/fig_2_3.provenance.json",
    params:
        metric="ndcg",
    benchmark:
        "results/benchmarks/fig_2_3/fig_2_3.tsv"
    log:
        "logs/ch2/fig_2_3.log",
    threads: 1
    resources:
        runtime=res("default")["runtime"],
        mem_mb=res("default")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/fig_ch2_sampling.py"


rule fig_2_4:
    """Figure 2.4: RMSE on ML-100K-INIT and ML-100K-INIT-FLIP against UNIFORM-INIT."""
    input:
        summary="results/ch2/sampling/summary.parquet",
    output:
        pdf="figures/ch2/fig_2_4.pdf",
        png=report("figures/ch2/fig_2_4.png", caption="../report/fig_2_4.rst", category="Chapter 2"),
        provenance="figures/ch2/fig_2_4.provenance.json",
    params:
        metric="rmse",
    benchmark:
        "results/benchmarks/fig_2_4/fig_2_4.tsv"
    log:
        "logs/ch2/fig_2_4.log",
    threads: 1
    resources:
        runtime=res("default")["runtime"],
        mem_mb=res("default")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/fig_ch2_sampling.py"


rule fig_2_5:
    """Figure 2.5: mean rating and RMSE of recommended items per step, select recommenders, topics-dynamic."""
    input:
        online=f"results/ch2/online/{CH2['fig_2_5']['env']}.parquet",
    output:
        pdf="figures/ch2/fig_2_5.pdf",
        png=report("figures/ch2/fig_2_5.png", caption="../report/fig_2_5.rst", category="Chapter 2"),
        provenance="figures/ch2/fig_2_5.provenance.json",
    params:
        env=CH2["fig_2_5"]["env"],
        recommenders=[rec for rec in CH2["fig_2_5"]["recommenders"] if rec in CH2_ONLINE],
    benchmark:
        "results/benchmarks/fig_2_5/fig_2_5.tsv"
    log:
        "logs/ch2/fig_2_5.log",
    threads: 1
    resources:
        runtime=res("default")["runtime"],
        mem_mb=res("ch2_online")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/fig_2_5.py"


rule fig_2_8:
    """Figure 2.8: Spearman correlation of offline nDCG@20 / RMSE with online mean rating, every environment."""
    input:
        spearman="results/ch2/spearman.parquet",
        manifests=[manifest("ml100k")] if "ml-100k" in CH2_ENVS else [],
    output:
        pdf="figures/ch2/fig_2_8.pdf",
        png=report("figures/ch2/fig_2_8.png", caption="../report/fig_2_8.rst", category="Chapter 2"),
        provenance="figures/ch2/fig_2_8.provenance.json",
    benchmark:
        "results/benchmarks/fig_2_8/fig_2_8.tsv"
    log:
        "logs/ch2/fig_2_8.log",
    threads: 1
    resources:
        runtime=res("default")["runtime"],
        mem_mb=res("default")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/fig_2_8.py"


rule claims_ch2:
    """Chapter 2 claims (recdyn.claims.ch2): the sampling study (2.5), offline versus online (2.6, Figures 2.1,
    2.5-2.8), side checks; one row per registered chapter 2 claim."""
    input:
        dynamic="results/ch2/affinity/topics-dynamic.parquet",
        static="results/ch2/affinity/topics-static.parquet",
        sampling="results/ch2/sampling/summary.parquet",
        merged="results/ch2/offline_online.parquet",
        spearman="results/ch2/spearman.parquet",
        autorec="results/ch2/checks/autorec.parquet",
        llorma="results/ch2/checks/llorma.parquet",
        online_dynamic="results/ch2/online/topics-dynamic.parquet",
        online_static="results/ch2/online/topics-static.parquet",
        online_autorec=f"results/ch2/online/{CH2_CHECKS['autorec']['env']}.parquet",
        manifests=[manifest("ml100k")] if "ml-100k" in CH2_ENVS else [],
    output:
        "results/ch2/claims.csv",
    params:
        threshold=CH2["fig_2_7"]["affinity_threshold"],
        min_topics=CH2["fig_2_7"]["min_topics"],
        thresholds=CH2["claims"],
        k=CH2["tuning"]["k"],
        fig_2_5=CH2["fig_2_5"]["recommenders"],
    benchmark:
        "results/benchmarks/claims_ch2/claims.tsv"
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
