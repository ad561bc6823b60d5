"""Rule ch4ts_amazon_rewards: Figure 4.2 (right) check: reward shares per category and positive rate."""

from recdyn.io import atomic_path, write_json
from recdyn.logs import setup_logging
from recdyn.twostage.amazon import load_amazon, reward_histogram, reward_statistics

setup_logging(snakemake.log[0])
part = snakemake.params.cfg["amazon"]
data = load_amazon(snakemake.params.folder, part["n_features"], tuple(part["category_ranks"]))
hist = reward_histogram(data, part["target"], n_arms=min(100, data.n_items), seed=snakemake.params.cfg["seed"])
with atomic_path(snakemake.output.histogram) as tmp:
    hist.to_csv(tmp, index=False)
stats = reward_statistics(data, part["target"])
stats.update(target=part["target"], top5_share=float(hist["share"].head(5).sum()),
             bottom50_share=float(hist["share"].tail(50).sum()) if len(hist) >= 50 else float("nan"))
write_json(snakemake.output.stats, stats)
