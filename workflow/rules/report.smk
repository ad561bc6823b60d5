"""Claims, chapter targets, the `figures` target and the HTML report."""

DATA_FIGURES = [f"figures/data/overview_{dataset}.{ext}" for dataset in DATASETS for ext in ("pdf", "png")]
DATA_TABLES = ["figures/data/tab_ml100k_fit.csv", "figures/data/tab_ml100k_fit.md",
               "figures/data/data_status.csv", "figures/data/data_status.md"]
CH2_FIGURES = [
    *expand("figures/ch2/fig_2_{n}.{ext}", n=(1, 3, 4, 5, 6, 7, 8), ext=("pdf", "png")),
    "figures/ch2/table_sampling.csv",
    "figures/ch2/table_sampling.md",
    "figures/ch2/table_recommenders.csv",
    "figures/ch2/table_recommenders.md",
]
CH2_RESULTS = [
    *expand("results/ch2/online/{env}.parquet", env=CH2_ENVS),
    *expand("results/ch2/offline/{env}/uniform.parquet", env=CH2_ENVS),
    *expand("results/ch2/offline/{env}/{scheme}.parquet", env=CH2["sampling"]["env"],
            scheme=CH2["sampling"]["schemes"]),
    "results/ch2/claims.csv",
]
CH3_FIGURES = [
    *expand("figures/ch3/fig_3_{n}.{ext}", n=(2, 3, 4), ext=("pdf", "png")),
    "figures/ch3/table_3_1.csv",
    "figures/ch3/table_3_1.md",
]
CH4_OUTPUTS = [*CH4_TWOSTAGE_OUTPUTS, *CH4_MOE_OUTPUTS]
CH5_OUTPUTS = [*CH5_AUDIT_OUTPUTS, *CH5_THEORY_OUTPUTS]
CHAPTER_CLAIMS = [
    "results/data/claims.csv",
    "results/ch2/claims.csv",
    "results/ch3/claims.csv",
    *CH4_TWOSTAGE_CLAIMS,
    *CH4_MOE_CLAIMS,
    *CH5_AUDIT_CLAIMS,
    *CH5_THEORY_CLAIMS,
]
CHAPTERS = {
    # Each chapter lists the outputs that exist so far; later issues add their figures and tables.
    "ch2": ["figures/data/overview_ml100k.pdf", *DATA_TABLES, *CH2_FIGURES, *CH2_RESULTS],
    "ch3": ["figures/data/overview_ml100k.pdf", f"{FIT_DIR}/env_params.npz", *CH3_FIGURES],
    "ch4": ["figures/data/overview_amazoncat.pdf", *CH4_OUTPUTS],
    "ch5": ["figures/data/overview_ml100k.pdf", "figures/data/overview_lastfm.pdf", *CH5_OUTPUTS],
}


localrules:
    fig_data_overview,
    figures,
    tab_timing,
    ch2,
    ch3,
    ch4,
    ch5,
    claims,
    claims_data,
    report,


rule fig_data_overview:
    """The data overview figures of the three datasets."""
    input:
        DATA_FIGURES,


FIGURES = [*DATA_FIGURES, *DATA_TABLES, *CH2_FIGURES, *CH3_FIGURES, *CH4_OUTPUTS, *CH5_OUTPUTS, "figures/claims.md"]


rule figures:
    """Every figure and table regenerated so far, the claims table and where the time went."""
    input:
        FIGURES,
        "figures/data/tab_timing.csv",


rule tab_timing:
    """Where the time goes: wall/CPU seconds and peak memory per rule, from every job's benchmark
    file (results/benchmarks/<rule>/); runs after everything else of `figures`."""
    input:
        FIGURES,
    output:
        csv="figures/data/tab_timing.csv",
        md=report("figures/data/tab_timing.md", caption="../report/tab_timing.rst", category="Data",
                  subcategory="timing"),
        provenance="figures/data/tab_timing.provenance.json",
    log:
        "logs/tab_timing.log",
    conda:
        ENV
    script:
        "../../scripts/tab_timing.py"


rule ch2:
    """Chapter 2 outputs that exist so far."""
    input:
        CHAPTERS["ch2"],


rule ch3:
    """Chapter 3 outputs that exist so far."""
    input:
        CHAPTERS["ch3"],


rule ch4:
    """Chapter 4 outputs that exist so far."""
    input:
        CHAPTERS["ch4"],


rule ch5:
    """Chapter 5 outputs that exist so far."""
    input:
        CHAPTERS["ch5"],


rule claims_data:
    """Data claims: dataset shapes the thesis states and the fitted environment beating baselines."""
    input:
        selection=f"{FIT_DIR}/selection.json",
        baselines=f"{FIT_DIR}/baselines.parquet",
        summaries=expand("results/data/summary_{dataset}.json", dataset=DATASETS),
        manifests=[manifest(dataset) for dataset in DATASETS],
    output:
        "results/data/claims.csv",
    params:
        margin=config["claims"]["fit_margin"],
        amazoncat_none_max=config["claims"]["amazoncat_uncovered_max"],
    benchmark:
        "results/benchmarks/claims_data/data.tsv"
    log:
        "logs/claims/data.log",
    threads: 1
    resources:
        runtime=res("default")["runtime"],
        mem_mb=res("default")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/claims_data.py"


rule claims:
    """Collect every chapter's claims into results/claims.csv and figures/claims.md."""
    input:
        claims=CHAPTER_CLAIMS,
        manifests=[manifest(dataset) for dataset in DATASETS],
    output:
        csv="results/claims.csv",
        md=report("figures/claims.md", caption="../report/claims.rst", category="Claims"),
        provenance=report(
            "figures/claims.provenance.json",
            caption="../report/provenance.rst",
            category="Provenance",
        ),
    benchmark:
        "results/benchmarks/claims/collect.tsv"
    log:
        "logs/claims/collect.log",
    conda:
        ENV
    script:
        "../../scripts/collect_claims.py"


rule report:
    """One HTML page with every figure, its caption and provenance (runs `snakemake --report`)."""
    input:
        rules.figures.input,
    output:
        "report.html",
    benchmark:
        "results/benchmarks/report/report.tsv"
    log:
        "logs/report.log",
    conda:
        ENV
    script:
        "../../scripts/build_report.py"
