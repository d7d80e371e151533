"""The report's charts: recall against queries per second, as small matplotlib PNGs.

matplotlib rather than plotly: plotly's PNG export (kaleido) needs a Chrome; matplotlib needs nothing more.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.report_rows import find_row
from benchmarks.report_targets import HNSW_RECALL, HNSW_SPEEDUP

COLORS = {"vectorlab": "#1f77b4", "faiss": "#d62728", "usearch": "#2ca02c", "numpy": "#7f7f7f",
          "python": "#9467bd"}


def draw_charts(results: dict[str, dict], out_dir: Path) -> list[Path]:
    """recall–QPS charts as small PNGs (matplotlib: plotly's PNG export needs a Chrome, see README)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    if "hnsw" in results:
        rows = results["hnsw"]["rows"]
        exact = rows[0]
        fig, axes = plt.subplots(1, 2, figsize=(11, 4.8), dpi=90)
        for ax, kind in zip(axes, ("single", "batch"), strict=True):
            for library in ("vectorlab", "faiss", "usearch"):
                for M, style in ((16, "-o"), (32, "--s")):
                    points = sorted((row["recall_at_10"], row[f"qps_{kind}"]) for row in rows[1:]
                                    if row["library"] == library and row.get("M") == M)
                    if points:
                        label = {"vectorlab": "vectorlab HNSWIndex (hnswlib)", "faiss": "faiss IndexHNSWFlat",
                                 "usearch": "usearch"}[library]
                        ax.plot(*zip(*points, strict=True), style, color=COLORS[library], ms=4, lw=1.3,
                                label=f"{label}, M={M}")
            ax.axhline(exact[f"qps_{kind}"], color="black", lw=1, ls=":")
            ax.text(0.0, exact[f"qps_{kind}"], " exact scan (vectorlab)", va="bottom", fontsize=8,
                    transform=ax.get_yaxis_transform())
            ax.axhline(HNSW_SPEEDUP * exact[f"qps_{kind}"], color="gray", lw=0.8, ls="-.")
            # below its line: the fastest (low-recall) points of the batched sweep sit just above it
            ax.text(0.0, HNSW_SPEEDUP * exact[f"qps_{kind}"], f" {HNSW_SPEEDUP}× exact", va="top", fontsize=8,
                    color="gray", transform=ax.get_yaxis_transform())
            ax.axvline(HNSW_RECALL, color="gray", lw=0.8, ls="-.")
            ax.set_yscale("log")
            ax.set_xlabel("recall@10")
            ax.set_ylabel("queries per second (log)")
            ax.set_title(f"{'one query per call' if kind == 'single' else 'all queries in one call'}",
                         fontsize=10)
            ax.grid(alpha=0.3, which="both")
        # under both panels: inside one, it covered the labels of the reference lines
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, fontsize=8, loc="lower center", ncol=3, frameon=False)
        dataset = results["hnsw"]["environment"]["dataset"]
        fig.suptitle(f"HNSW on {dataset['n']:,} × {dataset['dims']} vectors "
                     f"({dataset.get('model', dataset['name'])}): "
                     "recall vs speed (ef sweep)", fontsize=11)
        fig.tight_layout(rect=(0, 0.1, 1, 1))
        path = out_dir / "hnsw_recall_qps.png"
        fig.savefig(path)
        plt.close(fig)
        written.append(path)

    points = _overview_points(results)
    if points:
        fig, axes = plt.subplots(1, 2, figsize=(12, 5), dpi=90)
        for ax, kind in zip(axes, ("single", "batch"), strict=True):
            for label, row, marker in points:
                if row.get(f"qps_{kind}") is None or row.get("recall_at_10") is None:
                    continue
                ax.scatter(row["recall_at_10"], row[f"qps_{kind}"], marker=marker, s=34,
                           color=COLORS.get(row["library"], "black"), alpha=0.9)
                ax.annotate(label, (row["recall_at_10"], row[f"qps_{kind}"]), fontsize=7, xytext=(4, 2),
                            textcoords="offset points")
            ax.set_yscale("log")
            ax.set_xlim(right=1.06)
            ax.set_xlabel("recall@10")
            ax.set_ylabel("queries per second (log)")
            ax.set_title("one query per call" if kind == "single" else "all queries in one call", fontsize=10)
            ax.grid(alpha=0.3, which="both")
        dataset = next(iter(results.values()))["environment"]["dataset"]
        fig.suptitle(f"The main options on the same {dataset['n'] / 1000:g}k vectors: "
                     "● exact  ◆ binary  ■ int8  ▲ HNSW "
                     "(blue vectorlab, red faiss, green usearch, grey numpy)", fontsize=10)
        fig.tight_layout()
        path = out_dir / "overview_recall_qps.png"
        fig.savefig(path)
        plt.close(fig)
        written.append(path)
    return written


def _overview_points(results: dict[str, dict]) -> list[tuple[str, dict, str]]:
    """A few representative rows per question, with short labels, for the overview chart."""
    points = []
    picks = {
        "exhaustive": [({"method": "vectorlab exhaustive_search", "params": 'metric="dot"'}, "vectorlab exact"),
                       ({"library": "faiss"}, "faiss Flat"), ({"library": "numpy"}, "numpy full sort")],
        "binary": [({"key": "BinaryIndex"}, "vectorlab binary"), ({"key": "faiss"}, "faiss binary"),
                   ({"key": "rescore4"}, "binary+rescore 4x"), ({"key": "rescore10"}, "binary+rescore 10x")],
        "int8": [({"key": "per-dimension ranges"}, "vectorlab int8"), ({"key": "faiss"}, "faiss SQ8")],
        "hnsw": [({"library": lib, "M": 16, "ef": 64}, f"{name} HNSW ef=64") for lib, name in
                 (("vectorlab", "vectorlab"), ("faiss", "faiss"), ("usearch", "usearch"))],
    }
    markers = {"exhaustive": "o", "binary": "D", "int8": "s", "hnsw": "^"}
    for question, wanted in picks.items():
        if question not in results:
            continue
        for where, label in wanted:
            row = find_row(results[question]["rows"], **where)
            if row is not None:
                points.append((label, row, markers[question]))
    return points
