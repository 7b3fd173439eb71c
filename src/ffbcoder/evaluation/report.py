"""A readable evaluation report: Markdown with matplotlib plots, written to a directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ffbcoder.evaluation.metrics import __doc__ as METRIC_CONVENTIONS


def _pct(value: object) -> str:
    return f"{100 * float(value):.1f}" if value is not None else "–"  # type: ignore[arg-type]


def _plots(metrics: dict[str, Any], directory: Path) -> list[tuple[str, str]]:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    written = []
    bins = [b for b in metrics["calibration"]["bins"] if b["pairs"]]
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
    ax.plot([b["mean_score"] for b in bins], [b["observed_precision"] for b in bins], "o-", label="ffbcoder")
    for b in bins:
        ax.annotate(
            str(b["pairs"]),
            (b["mean_score"], b["observed_precision"]),
            fontsize=7,
            textcoords="offset points",
            xytext=(4, -10),
        )
    ax.set_xlabel("score")
    ax.set_ylabel("observed precision (share of gold codes)")
    ax.set_title(f"Reliability (ECE {metrics['calibration']['ece']:.3f})")
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(directory / "reliability.png", dpi=110)
    plt.close(fig)
    written.append(("Reliability: score against observed precision (labels: pairs per bin)", "reliability.png"))

    rows = [r for r in metrics["per_concept"] if r["support"]]
    rows.sort(key=lambda r: r["f1"])
    fig, ax = plt.subplots(figsize=(7, max(4, 0.16 * len(rows))))
    colours = ["#c0392b" if r["kind"] == "tilstand" else "#2874a6" for r in rows]
    ax.barh([r["code"] for r in rows], [r["f1"] for r in rows], color=colours)
    ax.set_xlim(0, 1)
    ax.set_xlabel("F1 at the operating threshold (red: tilstand, blue: indsats)")
    ax.tick_params(axis="y", labelsize=6)
    fig.tight_layout()
    fig.savefig(directory / "per_concept_f1.png", dpi=110)
    plt.close(fig)
    written.append(("F1 per concept", "per_concept_f1.png"))
    return written


def write_report(metrics: dict[str, Any], directory: Path, title: str = "ffbcoder evaluation") -> Path:
    """Write ``report.md`` and its plots into ``directory``; returns the report's path."""
    directory.mkdir(parents=True, exist_ok=True)
    plots = _plots(metrics, directory)
    run = metrics.get("run", {})
    m = metrics["micro"]
    lines = [
        f"# {title}",
        "",
        f"- gold set: {metrics.get('gold', '?')} ({metrics['n_notes']} notes, "
        f"{metrics['n_notes_with_codes']} with codes, {metrics['n_gold_codes']} gold codes)",
        f"- catalogue: {run.get('catalogue', {}).get('id')} {run.get('catalogue', {}).get('version')}",
        f"- model: {run.get('model')}; calibration: {run.get('calibration')}; threshold: {run.get('threshold')}",
        f"- speed: {run.get('notes_per_second')} notes/s ({run.get('seconds')} s)",
        "",
        "## At the operating threshold",
        "",
        "| | precision | recall | F1 | TP | FP | FN |",
        "|---|---|---|---|---|---|---|",
        f"| micro, all | {_pct(m['precision'])} | {_pct(m['recall'])} | {_pct(m['f1'])} "
        f"| {m['tp']} | {m['fp']} | {m['fn']} |",
    ]
    for kind, row in metrics["micro_by_kind"].items():
        lines.append(
            f"| micro, {kind} | {_pct(row['precision'])} | {_pct(row['recall'])} | {_pct(row['f1'])} "
            f"| {row['tp']} | {row['fp']} | {row['fn']} |"
        )
    mac = metrics["macro"]
    lines.append(
        f"| macro ({mac['concepts']} concepts) | {_pct(mac['precision'])} | {_pct(mac['recall'])} "
        f"| {_pct(mac['f1'])} | | | |"
    )
    lines += ["", "## Ranking (no threshold)", "", "| k | P@k | R@k | F1@k |", "|---|---|---|---|"]
    for k, row in metrics["at_k"].items():
        lines.append(f"| {k} | {_pct(row['precision'])} | {_pct(row['recall'])} | {_pct(row['f1'])} |")
    lines += ["", f"NDCG@5 {metrics['ndcg@5']:.3f} · MRR {metrics['mrr']:.3f}", ""]
    lines += ["## Hard cases", "", "| case | mentions | suggested anyway | share suggested |", "|---|---|---|---|"]
    for case, row in metrics["hard_cases"].items():
        if case == "implied":
            continue
        lines.append(f"| {case} | {row['mentions']} | {row['suggested']} | {_pct(row['suggested_rate'])} % |")
    imp = metrics["hard_cases"]["implied"]
    lines += [
        "",
        f"Codes only implied by concrete detail: {imp['found']} of {imp['codes']} found "
        f"(recall {_pct(imp['recall'])} %).",
        "",
    ]
    lines += [
        "## Worst concepts",
        "",
        "| code | label | support | predicted | P | R | F1 |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in metrics["per_concept"][:25]:
        lines.append(
            f"| {row['code']} | {row['label']} | {row['support']} | {row['predicted']} | {_pct(row['precision'])} "
            f"| {_pct(row['recall'])} | {_pct(row['f1'])} |"
        )
    lines += [
        "",
        "## Most confused pairs (suggested instead of a missed gold code)",
        "",
        "| suggested | gold | notes |",
        "|---|---|---|",
    ]
    for row in metrics["confused_pairs"][:15]:
        lines.append(f"| {row['suggested']} | {row['gold']} | {row['count']} |")
    lines.append("")
    for caption, name in plots:
        lines += [f"## {caption}", "", f"![{caption}]({name})", ""]
    lines += ["## How the figures are counted", "", (METRIC_CONVENTIONS or "").strip(), ""]
    path = directory / "report.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
