"""Environment fitting (thesis section 2.3, ML-100K environment): libFM cross-validation over the
preset's grid, one job per method and chunk of grid points, then selection and the final fit whose
biases and factors parameterise the ml-100k simulated environment."""

FIT = config["fit"]["ml100k"]
FIT_DIR = "results/ch2/ml100k_env"
CV_CHUNKS = {
    method: grid_chunks(method_grid, FIT["points_per_job"])
    for method, method_grid in FIT["methods"].items()
}


localrules:
    tab_ml100k_fit,


CV_JOBS = [
    f"{FIT_DIR}/cv/{method}_{index}.parquet"
    for method, chunks in CV_CHUNKS.items()
    for index in range(len(chunks))
]
CV_TIMINGS = [path.replace(".parquet", ".timing.parquet") for path in CV_JOBS]


rule fit_cv:
    """K-fold CV RMSE of one chunk of libFM grid points (all folds in one job): as libFM predicts and
    of the extracted parameters; the fit times go to the .timing. file."""
    input:
        processed("ml100k"),
    output:
        cv=f"{FIT_DIR}/cv/{{method}}_{{chunk}}.parquet",
        timing=f"{FIT_DIR}/cv/{{method}}_{{chunk}}.timing.parquet",
    params:
        points=lambda wc: CV_CHUNKS[wc.method][int(wc.chunk)],
        folds=FIT["folds"],
        seed=FIT["seed"],
    wildcard_constraints:
        method="sgd|mcmc|als",
        chunk=r"\d+",
    benchmark:
        "results/benchmarks/fit_cv/cv_{method}_{chunk}.tsv"
    log:
        "logs/fit/cv_{method}_{chunk}.log",
    threads: 1
    priority: 30  # the chain to ch2_online, the longest jobs, starts first
    resources:
        runtime=res("fit_cv")["runtime"],
        mem_mb=res("fit_cv")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/fit_cv.py"


rule fit_baselines:
    """CV RMSE of the global-mean and bias-only baselines, on the same folds."""
    input:
        processed("ml100k"),
    output:
        f"{FIT_DIR}/baselines.parquet",
    params:
        folds=FIT["folds"],
        seed=FIT["seed"],
    benchmark:
        "results/benchmarks/fit_baselines/baselines.tsv"
    log:
        "logs/fit/baselines.log",
    threads: 1
    resources:
        runtime=res("default")["runtime"],
        mem_mb=res("default")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/fit_baselines.py"


rule fit_environment:
    """Pick the grid point whose extracted parameters have the lowest CV RMSE and refit it on all
    ratings: the ml-100k env."""
    input:
        data=processed("ml100k"),
        cv=CV_JOBS,
    output:
        params=f"{FIT_DIR}/env_params.npz",
        selection=f"{FIT_DIR}/selection.json",
        cv_table=f"{FIT_DIR}/cv_table.parquet",
    params:
        method=FIT["method"],
        seed=FIT["seed"],
    benchmark:
        "results/benchmarks/fit_environment/fit_environment.tsv"
    log:
        "logs/fit/fit_environment.log",
    threads: 1
    priority: 30  # the chain to ch2_online, the longest jobs, starts first
    resources:
        runtime=res("fit_environment")["runtime"],
        mem_mb=res("fit_environment")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/fit_environment.py"


rule tab_ml100k_fit:
    """Table: cross-validated RMSE of every libFM grid point (as libFM predicts and of the environment's
    parameters) and the baselines; the fit times in a separate timing table."""
    input:
        cv_table=f"{FIT_DIR}/cv_table.parquet",
        baselines=f"{FIT_DIR}/baselines.parquet",
        selection=f"{FIT_DIR}/selection.json",
        timings=CV_TIMINGS,
        manifest=manifest("ml100k"),
    output:
        csv="figures/data/tab_ml100k_fit.csv",
        md=report(
            "figures/data/tab_ml100k_fit.md",
            caption="../report/tab_ml100k_fit.rst",
            category="Data",
            subcategory="ml100k",
        ),
        provenance=report(
            "figures/data/tab_ml100k_fit.provenance.json",
            caption="../report/provenance.rst",
            category="Provenance",
        ),
        timing_csv="figures/data/tab_ml100k_fit.timing.csv",
        timing_md="figures/data/tab_ml100k_fit.timing.md",
        timing_provenance="figures/data/tab_ml100k_fit.timing.provenance.json",
    benchmark:
        "results/benchmarks/tab_ml100k_fit/tab_ml100k_fit.tsv"
    log:
        "logs/fit/tab_ml100k_fit.log",
    threads: 1
    resources:
        runtime=res("default")["runtime"],
        mem_mb=res("default")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/tab_ml100k_fit.py"
