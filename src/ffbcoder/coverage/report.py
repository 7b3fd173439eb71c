"""The coverage report: one self-contained HTML file (plots inlined as data URIs) and a JSON
export of the same figures (``CoverageAnalysis.to_dict``).

The HTML needs no network and no other file: it can be mailed or attached to a ticket. It
shows masked, shortened example segments only (see ``redact``), never whole notes or ids.
"""

from __future__ import annotations

import base64
import io
import json
from html import escape
from pathlib import Path
from typing import Any

from ffbcoder.coverage.analyse import PLOTTED_GAPS, CoverageAnalysis

HTML_FILE = "coverage.html"
JSON_FILE = "coverage.json"
_TILSTAND, _INDSATS = "#c0392b", "#2874a6"
# tab10 without its grey, which is the colour of the segments in no top gap
_GAP_COLOURS = (
    *("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"),
    *("#8c564b", "#e377c2", "#bcbd22", "#17becf", "#000000"),
)
_HISTOGRAM_LABELS = {"covered": "segments with a suggestion", "below_threshold": "segments below every threshold"}

_CSS = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222;line-height:1.4}
table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:.9em}th,td{border:1px solid #ccc;padding:3px 6px;
vertical-align:top;text-align:left}th{background:#f2f2f2}td.n{text-align:right}.muted{color:#777}
.draft{background:#fff4d6;border:1px solid #e0c060;padding:.5em}img{max-width:100%}ul.ex{margin:0;padding-left:1.1em}
"""


def _png(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    return plt


def plot_usage(analysis: CoverageAnalysis) -> str:
    plt = _pyplot()
    rows = sorted(analysis.usage, key=lambda u: (u.suggested, u.code))
    fig, ax = plt.subplots(figsize=(8, max(4.0, 0.15 * len(rows))))
    ax.barh(
        [u.code for u in rows],
        [u.suggested for u in rows],
        color=[_TILSTAND if u.kind == "tilstand" else _INDSATS for u in rows],
    )
    ax.set_xlabel(f"notes with the concept suggested (of {analysis.n_notes}); red: tilstand, blue: indsats")
    ax.tick_params(axis="y", labelsize=6)
    ax.set_title("Concept frequency")
    fig.tight_layout()
    return _png(fig)


def plot_gaps(analysis: CoverageAnalysis) -> str | None:
    points = analysis.plot
    if not points["x"]:
        return None
    plt = _pyplot()
    rank_of = {g.cluster: g.rank for g in analysis.gaps}
    fig, ax = plt.subplots(figsize=(8, 7))
    xs, ys, clusters = points["x"], points["y"], points["cluster"]
    top = [i for i, c in enumerate(clusters) if rank_of.get(int(c), 10**9) <= PLOTTED_GAPS]
    rest = [i for i, c in enumerate(clusters) if rank_of.get(int(c), 10**9) > PLOTTED_GAPS]
    ax.scatter([xs[i] for i in rest], [ys[i] for i in rest], s=4, color="#bbbbbb", label="other uncovered segments")
    for gap in analysis.gaps[:PLOTTED_GAPS]:
        members = [i for i in top if int(clusters[i]) == gap.cluster]
        if not members:
            continue
        mx = sum(xs[i] for i in members) / len(members)
        my = sum(ys[i] for i in members) / len(members)
        colour = _GAP_COLOURS[(gap.rank - 1) % len(_GAP_COLOURS)]
        terms = ", ".join(t for t, _ in gap.terms[:2])
        ax.scatter([xs[i] for i in members], [ys[i] for i in members], s=10, color=colour, label=f"#{gap.rank} {terms}")
        ax.annotate(f"#{gap.rank}", (mx, my), fontsize=9, weight="bold")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(f"Uncovered segments on the plane through the top {PLOTTED_GAPS} gaps' centres")
    ax.legend(fontsize=7, loc="best", markerscale=2)
    fig.tight_layout()
    return _png(fig)


def plot_scores(analysis: CoverageAnalysis) -> str | None:
    panels = [p for p in (analysis.best_score_histogram, analysis.suggestion_scores) if p]
    if not panels:
        return None
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 3.6), squeeze=False)
    ax = iter(axes[0])
    if analysis.best_score_histogram:
        left = next(ax)
        for name, counts in analysis.best_score_histogram.items():
            edges = [i / len(counts) for i in range(len(counts))]
            label = _HISTOGRAM_LABELS.get(name, name)
            left.bar(edges, counts, width=1 / len(counts), align="edge", alpha=0.6, label=label)
        left.set_yscale("symlog")
        left.set_xlabel("best concept probability of a segment")
        left.set_ylabel("segments")
        left.legend(fontsize=8)
    if analysis.suggestion_scores:
        right = next(ax)
        for kind, counts in analysis.suggestion_scores.items():
            edges = [i / len(counts) for i in range(len(counts))]
            colour = _TILSTAND if kind == "tilstand" else _INDSATS
            right.bar(edges, counts, width=1 / len(counts), align="edge", alpha=0.6, color=colour, label=kind)
        right.set_xlabel("score of suggested codes")
        right.set_ylabel("suggestions")
        right.legend(fontsize=8)
    fig.suptitle("Score distributions")
    fig.tight_layout()
    return _png(fig)


def _table(headers: list[str], rows: list[list[str]], numeric: set[int] | None = None) -> str:
    numeric = numeric or set()
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td{' class=n' if i in numeric else ''}>{cell}</td>" for i, cell in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _opt(value: object) -> str:
    return "–" if value is None else escape(f"{value:.2f}" if isinstance(value, float) else str(value))


def render_html(analysis: CoverageAnalysis, max_gaps: int = 30) -> str:
    """The report as one HTML document."""
    labels = {u.code: u.label for u in analysis.usage}
    counts = analysis.segment_counts
    parts = [
        "<!doctype html><html lang=da><head><meta charset=utf-8>",
        f"<title>ffbcoder coverage: {escape(Path(analysis.source).name)}</title><style>{_CSS}</style></head><body>",
        "<h1>Coverage of the catalogue</h1>",
        f"<p>Corpus <b>{escape(analysis.source)}</b> ({escape(analysis.source_kind)}): {analysis.n_notes} notes; "
        f"catalogue {escape(analysis.catalogue['id'])} {escape(analysis.catalogue['version'])}; "
        f"model <span class=muted>{escape(analysis.model)}</span>.</p>",
        "<p class=draft>For project staff maintaining the standard. Example segments are masked "
        "(names, CPR and phone numbers) and shortened; they are still case-note text.</p>",
    ]
    if analysis.bad_rows:
        parts.append(f"<p><b>{len(analysis.bad_rows)} rows could not be used</b> (see the JSON export for each):</p>")
        reasons: dict[str, int] = {}
        for row in analysis.bad_rows:
            reasons[row.reason] = reasons.get(row.reason, 0) + 1
        parts.append(_table(["reason", "rows"], [[escape(r), str(n)] for r, n in reasons.items()], {1}))

    parts.append("<h2>Candidate gaps</h2>")
    if counts:
        parts.append(
            "<p>"
            f"{counts.get('segments', 0)} segments; {counts.get('covered', 0)} reach a concept's threshold; "
            f"set aside: {counts.get('negated', 0)} negated, "
            + ", ".join(f"{counts[k]} {k.removeprefix('trivial_')}" for k in sorted(counts) if k.startswith("trivial_"))
            + f". <b>{counts.get('uncovered', 0)} uncovered segments</b> were clustered into "
            f"{len(analysis.gaps)} clusters. Gaps are ranked by notes × theme (the share of segments that "
            "contain one of the gap's three top terms).</p>"
        )
        rows = []
        for gap in analysis.gaps[:max_gaps]:
            rows.append(
                [
                    str(gap.rank),
                    str(gap.notes),
                    str(gap.size),
                    f"{gap.theme:.2f}",
                    escape(", ".join(t for t, _ in gap.terms)),
                    "<br>".join(f"{escape(c.code)} ({c.similarity:.2f})" for c in gap.nearest),
                    "<ul class=ex>" + "".join(f"<li>{escape(e)}</li>" for e in gap.examples) + "</ul>",
                ]
            )
        parts.append(
            _table(
                ["#", "notes", "segments", "theme", "characteristic terms", "nearest concepts", "examples"],
                rows,
                {0, 1, 2, 3},
            )
        )
        image = plot_gaps(analysis)
        if image:
            parts.append(f'<img alt="gap clusters in 2-D" src="{image}">')
    else:
        parts.append("<p>No note text in this input (back-coding output), so no uncovered-text analysis.</p>")

    parts.append("<h2>Concept usage</h2>")
    unused = [u for u in analysis.usage if u.status == "unused"]
    rare = [u for u in analysis.usage if u.status == "rare"]
    parts.append(
        f"<p>Never used: {len(unused)} concepts"
        + (": " + escape(", ".join(u.code for u in unused)) if unused else "")
        + f". Rarely used: {len(rare)}"
        + (": " + escape(", ".join(u.code for u in rare)) if rare else "")
        + f". Notes without any suggestion: {analysis.notes_without_suggestions}."
        + (
            f" Review statistics: {escape(analysis.review_source)}."
            if analysis.review_source
            else " No review statistics given."
        )
        + "</p>"
    )
    if analysis.unknown_codes:
        parts.append(
            "<p>Codes in the input that the catalogue lacks: "
            + escape(", ".join(f"{c} ({n})" for c, n in analysis.unknown_codes.items()))
            + "</p>"
        )
    parts.append(f'<img alt="concept frequency" src="{plot_usage(analysis)}">')
    parts.append(
        _table(
            ["code", "label", "kind", "suggested", "share", "mean score", "status", "accepted", "rejected", "added"],
            [
                [
                    escape(u.code),
                    escape(u.label),
                    escape(u.kind),
                    str(u.suggested),
                    f"{100 * u.share:.1f} %",
                    _opt(u.mean_score),
                    escape(u.status),
                    _opt(u.accepted),
                    _opt(u.rejected),
                    _opt(u.added),
                ]
                for u in sorted(analysis.usage, key=lambda u: (-u.suggested, u.code))
            ],
            {3, 4, 5, 7, 8, 9},
        )
    )

    parts.append("<h2>Confusion</h2>")

    def pair_rows(pairs: list[Any], fmt: str) -> list[list[str]]:
        return [
            [
                escape(p.a),
                escape(labels.get(p.a, "")),
                escape(p.b),
                escape(labels.get(p.b, "")),
                fmt.format(p.value) + (" ⚠" if p.flagged else ""),
            ]
            for p in pairs
        ]

    headers = ["concept", "label", "concept", "label"]
    parts.append(
        "<h3>Descriptions that sit too close</h3><p>Cosine between the concepts' definition texts; "
        "⚠ marks pairs four standard deviations above the mean over all pairs.</p>"
    )
    parts.append(_table([*headers, "cosine"], pair_rows(analysis.close_descriptions, "{:.3f}"), {4}))
    parts.append("<h3>Suggested on the same clause</h3>")
    parts.append(
        _table([*headers, "notes"], pair_rows(analysis.shared_evidence, "{:.0f}"), {4})
        if analysis.shared_evidence
        else "<p class=muted>none</p>"
    )
    parts.append("<h3>Swapped by reviewers (rejected → added)</h3>")
    parts.append(
        _table([*headers, "times"], pair_rows(analysis.swaps, "{:.0f}"), {4})
        if analysis.swaps
        else "<p class=muted>no review statistics given</p>"
    )

    image = plot_scores(analysis)
    if image:
        parts.append(f'<h2>Score distributions</h2><img alt="score distributions" src="{image}">')
    parts.append(
        f"<p class=muted>Scoring {analysis.seconds.get('scoring', 0)} s, analysis "
        f"{analysis.seconds.get('analysis', 0)} s.</p></body></html>"
    )
    return "\n".join(parts)


def render_json(analysis: CoverageAnalysis) -> str:
    """The JSON export: the same figures as the HTML report."""
    return json.dumps(analysis.to_dict(), ensure_ascii=False, indent=1)


def write_report(analysis: CoverageAnalysis, directory: Path, json_path: Path | None = None) -> tuple[Path, Path]:
    """Write ``coverage.html`` and ``coverage.json`` into ``directory`` (and the JSON to
    ``json_path`` too, when given); returns the HTML and JSON paths."""
    directory.mkdir(parents=True, exist_ok=True)
    html_path = directory / HTML_FILE
    html_path.write_text(render_html(analysis), encoding="utf-8")
    data = render_json(analysis)
    out_json = directory / JSON_FILE
    out_json.write_text(data, encoding="utf-8")
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(data, encoding="utf-8")
        out_json = json_path
    return html_path, out_json
