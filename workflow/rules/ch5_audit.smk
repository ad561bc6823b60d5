"""Chapter 5 (part 1): exposure games and the pre-deployment audit (thesis sections 5.3 and 5.7),
Figures 5.3, 5.4, 5.5, 5.7, 5.8, 5.9, 5.10, 5.11 and their claims.

fit (CV + one model per dataset x model x d, all recommender seeds) -> sweep (one job per dataset x model
x d x seed x chunk of ``sweep.games_per_job`` (n, tau) games, each batched over initialisations x step
sizes) -> one runs table -> figures and claims.
"""

from recdyn.exposure.sweep_spec import SweepSpec

CH5A = config["ch5_audit"]
CH5A_DATASETS = ["ml100k", "lastfm"]
CH5A_CHUNKS = SweepSpec(**CH5A["sweep"]).chunks()  # (n, tau) games of each sweep job
CH5A_RUN_FILES = expand(
    "results/ch5/audit/runs/{dataset}/{model}_d{d}_s{seed}_c{chunk}.parquet",
    dataset=CH5A_DATASETS, model=CH5A["models"], d=CH5A["dims"], seed=CH5A["seeds"],
    chunk=range(len(CH5A_CHUNKS)),
)
CH5A_FIGURES = {
    "fig_5_3": "clustering", "fig_5_4": "user_gender", "fig_5_5": "creator_gender",
    "fig_5_7": "clustering", "fig_5_8": "user_gender", "fig_5_9": "creator_gender", "fig_5_10": "clustering",
    "fig_5_11": "user_gender",
}
CH5_AUDIT_OUTPUTS = [f"figures/ch5/{name}.pdf" for name in CH5A_FIGURES]
CH5_AUDIT_CLAIMS = ["results/ch5/audit/claims.csv"]

for _name, _needed in (("models", {"pmf", "nmf", "mf"}),):
    if not _needed <= set(CH5A[_name]):
        raise SystemExit(f"recdyn: ch5_audit.{_name} must contain {sorted(_needed)} (Figures 5.10/5.11 add MF)")
if len(CH5A["dims"]) < 2 or len(CH5A["sweep"]["taus"]) < 2:
    raise SystemExit("recdyn: ch5_audit needs at least two dims and two taus (the claims compare them)")


localrules:
    fig_5_3,
    fig_5_4,
    fig_5_5,
    fig_5_7,
    fig_5_8,
    fig_5_9,
    fig_5_10,
    fig_5_11,
    claims_ch5_audit,


rule ch5_audit_fit:
    """Two-fold 90/10 CV of (reg, lr), then one fit per recommender seed: PMF, NMF or MF (sections 5.3, 5.7)."""
    input:
        ratings=lambda wc: f"data/processed/{wc.dataset}/" + ("ratings.parquet" if wc.dataset == "ml100k" else "plays.parquet"),
        manifest=lambda wc: manifest(wc.dataset),
    output:
        model="results/ch5/audit/fit/{dataset}/{model}_d{d}.npz",
        cv="results/ch5/audit/fit/{dataset}/{model}_d{d}_cv.csv",
    params:
        cfg=CH5A,
    wildcard_constraints:
        dataset="ml100k|lastfm",
        model="pmf|nmf|mf",
        d=r"\d+",
    benchmark:
        "results/benchmarks/ch5_audit_fit/audit_fit_{dataset}_{model}_d{d}.tsv"
    log:
        "logs/ch5/audit_fit_{dataset}_{model}_d{d}.log",
    threads: 1
    resources:
        runtime=res("ch5_audit_fit")["runtime"],
        mem_mb=res("ch5_audit_fit")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/ch5_audit_fit.py"


rule ch5_audit_sweep:
    """Local equilibria of one chunk of (n, tau) games of one fitted model and seed, Riemannian test, measures."""
    input:
        model="results/ch5/audit/fit/{dataset}/{model}_d{d}.npz",
        users="data/processed/ml100k/users.parquet",
        artists="data/processed/lastfm/artists.parquet",
    output:
        runs="results/ch5/audit/runs/{dataset}/{model}_d{d}_s{seed}_c{chunk}.parquet",
        strategies="results/ch5/audit/strategies/{dataset}/{model}_d{d}_s{seed}_c{chunk}.npz",
    params:
        cfg=CH5A,
    wildcard_constraints:
        dataset="ml100k|lastfm",
        model="pmf|nmf|mf",
        d=r"\d+",
        seed=r"\d+",
        chunk=r"\d+",
    benchmark:
        "results/benchmarks/ch5_audit_sweep/audit_sweep_{dataset}_{model}_d{d}_s{seed}_c{chunk}.tsv"
    log:
        "logs/ch5/audit_sweep_{dataset}_{model}_d{d}_s{seed}_c{chunk}.log",
    threads: 1
    resources:
        runtime=res("ch5_audit_sweep")["runtime"],
        mem_mb=res("ch5_audit_sweep")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/ch5_audit_sweep.py"


rule ch5_audit_table:
    """All runs of the sweep (and baselines) as one table."""
    input:
        CH5A_RUN_FILES,
    output:
        "results/ch5/audit/runs.parquet",
    benchmark:
        "results/benchmarks/ch5_audit_table/audit_table.tsv"
    log:
        "logs/ch5/audit_table.log",
    threads: 1
    resources:
        runtime=res("default")["runtime"],
        mem_mb=res("default")["mem_mb"],
    conda:
        ENV
    script:
        "../../scripts/concat_tables.py"


rule fig_5_3:
    """Figure 5.3: clustering of strategic producers against tau (runs not ruled out by the test)."""
    input:
        runs="results/ch5/audit/runs.parquet",
        manifests=[manifest("ml100k"), manifest("lastfm")],
    output:
        pdf="figures/ch5/fig_5_3.pdf",
        png=report("figures/ch5/fig_5_3.png", caption="../report/fig_5_3.rst", category="Chapter 5"),
        provenance="figures/ch5/fig_5_3.provenance.json",
    params:
        kind="clustering", admit=["confirmed", "not ruled out"], models=["pmf", "nmf"], baseline=True,
    benchmark:
        "results/benchmarks/fig_5_3/fig_5_3.tsv"
    log:
        "logs/ch5/fig_5_3.log",
    conda:
        ENV
    script:
        "../../scripts/ch5_audit_fig.py"


rule fig_5_4:
    """Figure 5.4: targeting by user gender on MovieLens, with the pre-adaptation baseline 'b'."""
    input:
        runs="results/ch5/audit/runs.parquet",
        manifests=[manifest("ml100k")],
    output:
        pdf="figures/ch5/fig_5_4.pdf",
        png=report("figures/ch5/fig_5_4.png", caption="../report/fig_5_4.rst", category="Chapter 5"),
        provenance="figures/ch5/fig_5_4.provenance.json",
    params:
        kind="user_gender", admit=["confirmed", "not ruled out"], models=["pmf", "nmf"], baseline=True,
    benchmark:
        "results/benchmarks/fig_5_4/fig_5_4.tsv"
    log:
        "logs/ch5/fig_5_4.log",
    conda:
        ENV
    script:
        "../../scripts/ch5_audit_fig.py"


rule fig_5_5:
    """Figure 5.5: strategic content and creator gender on LastFM, in growing neighbourhoods."""
    input:
        runs="results/ch5/audit/runs.parquet",
        manifests=[manifest("lastfm")],
    output:
        pdf="figures/ch5/fig_5_5.pdf",
        png=report("figures/ch5/fig_5_5.png", caption="../report/fig_5_5.rst", category="Chapter 5"),
        provenance="figures/ch5/fig_5_5.provenance.json",
    params:
        kind="creator_gender", admit=["confirmed", "not ruled out"], models=["pmf", "nmf"], baseline=False,
    benchmark:
        "results/benchmarks/fig_5_5/fig_5_5.tsv"
    log:
        "logs/ch5/fig_5_5.log",
    conda:
        ENV
    script:
        "../../scripts/ch5_audit_fig.py"


rule fig_5_7:
    """Figure 5.7: Figure 5.3 with only the runs the second-order test confirmed."""
    input:
        runs="results/ch5/audit/runs.parquet",
        manifests=[manifest("ml100k"), manifest("lastfm")],
    output:
        pdf="figures/ch5/fig_5_7.pdf",
        png=report("figures/ch5/fig_5_7.png", caption="../report/fig_5_7.rst", category="Chapter 5"),
        provenance="figures/ch5/fig_5_7.provenance.json",
    params:
        kind="clustering", admit=["confirmed"], models=["pmf", "nmf"], baseline=True,
    benchmark:
        "results/benchmarks/fig_5_7/fig_5_7.tsv"
    log:
        "logs/ch5/fig_5_7.log",
    conda:
        ENV
    script:
        "../../scripts/ch5_audit_fig.py"


rule fig_5_8:
    """Figure 5.8: Figure 5.4 with only the runs the second-order test confirmed."""
    input:
        runs="results/ch5/audit/runs.parquet",
        manifests=[manifest("ml100k")],
    output:
        pdf="figures/ch5/fig_5_8.pdf",
        png=report("figures/ch5/fig_5_8.png", caption="../report/fig_5_8.rst", category="Chapter 5"),
        provenance="figures/ch5/fig_5_8.provenance.json",
    params:
        kind="user_gender", admit=["confirmed"], models=["pmf", "nmf"], baseline=True,
    benchmark:
        "results/benchmarks/fig_5_8/fig_5_8.tsv"
    log:
        "logs/ch5/fig_5_8.log",
    conda:
        ENV
    script:
        "../../scripts/ch5_audit_fig.py"


rule fig_5_9:
    """Figure 5.9: Figure 5.5 (LastFM, creator gender) with only the runs the second-order test confirmed.

    The thesis' text extraction leaves Figure 5.9 without a caption between 5.8 and 5.10; the appendix
    ("LNE confirmed by the second-order test") says it shows "exactly the same plots with only the runs
    where the test confirmed a LNE", and 5.7 and 5.8 are the counterparts of 5.3 and 5.4, so 5.9 is read
    as the counterpart of 5.5, the remaining main-text audit figure: inconclusive runs excluded."""
    input:
        runs="results/ch5/audit/runs.parquet",
        manifests=[manifest("lastfm")],
    output:
        pdf="figures/ch5/fig_5_9.pdf",
        png=report("figures/ch5/fig_5_9.png", caption="../report/fig_5_9.rst", category="Chapter 5"),
        provenance="figures/ch5/fig_5_9.provenance.json",
    params:
        kind="creator_gender", admit=["confirmed"], models=["pmf", "nmf"], baseline=False,
    benchmark:
        "results/benchmarks/fig_5_9/fig_5_9.tsv"
    log:
        "logs/ch5/fig_5_9.log",
    conda:
        ENV
    script:
        "../../scripts/ch5_audit_fig.py"


rule fig_5_10:
    """Figure 5.10: Figure 5.3 with MF (PMF with biases, biases ignored by the game) added."""
    input:
        runs="results/ch5/audit/runs.parquet",
        manifests=[manifest("ml100k"), manifest("lastfm")],
    output:
        pdf="figures/ch5/fig_5_10.pdf",
        png=report("figures/ch5/fig_5_10.png", caption="../report/fig_5_10.rst", category="Chapter 5"),
        provenance="figures/ch5/fig_5_10.provenance.json",
    params:
        kind="clustering", admit=["confirmed", "not ruled out"], models=["pmf", "nmf", "mf"], baseline=True,
    benchmark:
        "results/benchmarks/fig_5_10/fig_5_10.tsv"
    log:
        "logs/ch5/fig_5_10.log",
    conda:
        ENV
    script:
        "../../scripts/ch5_audit_fig.py"


rule fig_5_11:
    """Figure 5.11: Figure 5.4 with MF added, baselines omitted."""
    input:
        runs="results/ch5/audit/runs.parquet",
        manifests=[manifest("ml100k")],
    output:
        pdf="figures/ch5/fig_5_11.pdf",
        png=report("figures/ch5/fig_5_11.png", caption="../report/fig_5_11.rst", category="Chapter 5"),
        provenance="figures/ch5/fig_5_11.provenance.json",
    params:
        kind="user_gender", admit=["confirmed", "not ruled out"], models=["pmf", "nmf", "mf"], baseline=False,
    benchmark:
        "results/benchmarks/fig_5_11/fig_5_11.tsv"
    log:
        "logs/ch5/fig_5_11.log",
    conda:
        ENV
    script:
        "../../scripts/ch5_audit_fig.py"


rule claims_ch5_audit:
    """Claims of sections 5.3 and 5.7 (recdyn.claims.ch5.audit_claims): convergence, clustering against tau,
    gender targeting (Figures 5.4, 5.5) and the confirmed-only filter."""
    input:
        runs="results/ch5/audit/runs.parquet",
        manifests=[manifest("ml100k"), manifest("lastfm")],
    output:
        "results/ch5/audit/claims.csv",
    params:
        cfg=CH5A,
        preset=config["preset"],
    benchmark:
        "results/benchmarks/claims_ch5_audit/claims_audit.tsv"
    log:
        "logs/ch5/claims_audit.log",
    conda:
        ENV
    script:
        "../../scripts/ch5_audit_claims.py"
