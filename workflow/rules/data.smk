"""Data layer: acquire (stage, download or synthesize), validate into tidy tables, summarize, plot."""


localrules:
    acquire_dataset,  # downloads run on the submit host: compute nodes often have no internet
    summarize_dataset,
    plot_data_overview,
    data_status,

rule acquire_dataset:
    """Real files (staged in data/raw, or downloaded) or a synthetic stand-in, per data.<dataset>.source."""
    input:
        staged=lambda wc: staged_state(wc.dataset),
    output:
        directory("data/interim/{dataset}"),
    params:
        data=lambda wc: config["data"][wc.dataset],
        spec_key=lambda wc: spec_key(wc.dataset),
        raw_dir=str(RAW_DIR),
        allow_download=config["data"]["allow_download"],
        timeout=config["data"]["download_timeout"],
    benchmark:
        "results/benchmarks/acquire_dataset/acquire_{dataset}.tsv"
    log:
        "logs/data/acquire_{dataset}.log",
    threads: 1
    priority: 30  # the chain to ch2_online, the longest jobs, starts first (priorities do not propagate)
    resources:
        runtime=res("acquire")["runtime"],
        mem_mb=res("acquire")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/acquire_dataset.py"


rule process_ml100k:
    """Validate u.data/u.user/u.item and write tidy tables."""
    input:
        "data/interim/ml100k",
        staged=lambda wc: staged_state("ml100k"),
    output:
        processed("ml100k"),
    benchmark:
        "results/benchmarks/process_ml100k/process_ml100k.tsv"
    log:
        "logs/data/process_ml100k.log",
    threads: 1
    priority: 30  # the chain to ch2_online, the longest jobs, starts first (priorities do not propagate)
    resources:
        runtime=res("process")["runtime"],
        mem_mb=res("process")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/process_dataset.py"


rule process_lastfm:
    """Validate the LastFM files, apply the configured user subsample, write tidy tables."""
    input:
        "data/interim/lastfm",
        staged=lambda wc: staged_state("lastfm"),
    output:
        processed("lastfm"),
    params:
        variant=config["data"]["lastfm"]["variant"],
        subsample=config["data"]["lastfm"]["subsample"],
    benchmark:
        "results/benchmarks/process_lastfm/process_lastfm.tsv"
    log:
        "logs/data/process_lastfm.log",
    threads: 1
    resources:
        runtime=res("process_lastfm")["runtime"],
        mem_mb=res("process_lastfm")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/process_dataset.py"


rule process_amazoncat:
    """Validate the BERT features and the item-by-category label matrix."""
    input:
        "data/interim/amazoncat",
        staged=lambda wc: staged_state("amazoncat"),
    output:
        processed("amazoncat"),
    benchmark:
        "results/benchmarks/process_amazoncat/process_amazoncat.tsv"
    log:
        "logs/data/process_amazoncat.log",
    threads: 1
    resources:
        runtime=res("process_amazoncat")["runtime"],
        mem_mb=res("process_amazoncat")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/process_dataset.py"


rule summarize_dataset:
    """Histograms, activity counts and gender splits of one dataset (computed, not plotted)."""
    input:
        lambda wc: processed(wc.dataset),
    output:
        "results/data/summary_{dataset}.json",
    benchmark:
        "results/benchmarks/summarize_dataset/summarize_{dataset}.tsv"
    log:
        "logs/data/summarize_{dataset}.log",
    threads: 1
    resources:
        runtime=res("default")["runtime"],
        mem_mb=res("process")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/summarize_dataset.py"


rule plot_data_overview:
    """Data overview figure of one dataset (rating/play-count histograms, activity, gender); the
    target `fig_data_overview` makes all three."""
    input:
        summary="results/data/summary_{dataset}.json",
        manifest=lambda wc: manifest(wc.dataset),
    output:
        pdf="figures/data/overview_{dataset}.pdf",
        png=report(
            "figures/data/overview_{dataset}.png",
            caption="../report/data_overview.rst",
            category="Data",
            subcategory="{dataset}",
        ),
        provenance=report(
            "figures/data/overview_{dataset}.provenance.json",
            caption="../report/provenance.rst",
            category="Provenance",
        ),
    benchmark:
        "results/benchmarks/plot_data_overview/fig_overview_{dataset}.tsv"
    log:
        "logs/data/fig_overview_{dataset}.log",
    threads: 1
    resources:
        runtime=res("default")["runtime"],
        mem_mb=res("default")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/plot_data_overview.py"


rule data_status:
    """Per dataset: the source the next run will use (downloaded, staged archive, staged folder,
    synthetic), its path and whether it verifies (`make data-status`; the report's data section)."""
    input:
        staged=[staged_state(dataset) for dataset in DATASETS],
    output:
        csv="figures/data/data_status.csv",
        md=report(
            "figures/data/data_status.md",
            caption="../report/data_status.rst",
            category="Data",
            subcategory="status",
        ),
        provenance="figures/data/data_status.provenance.json",
    params:
        data=config["data"],
        raw_dir=str(RAW_DIR),
        spec_keys={dataset: spec_key(dataset) for dataset in DATASETS},
    benchmark:
        "results/benchmarks/data_status/data_status.tsv"
    log:
        "logs/data/data_status.log",
    threads: 1
    resources:
        runtime=res("default")["runtime"],
        mem_mb=res("default")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/data_status.py"
