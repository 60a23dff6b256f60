"""The OKR review's chart: each key result's progress (0-100% of the way to its target)
over the period, as PNG bytes drawn headless, like templates/charts.py. The plotted
series are written into the PNG's `lessonloop:series` text chunk too."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from datetime import datetime

from templates.charts import SERIES_KEY, _short

MAX_LINES = 12  # more lines than this are unreadable; the document lists them all


def progress_chart(
    series: Sequence[tuple[str, Sequence[tuple[datetime, float]]]], *, title: str
) -> bytes:
    """One line per key result: (its title, [(when, progress 0.0-1.0), ...])."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 4.5), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    shown = list(series)[:MAX_LINES]
    for label, points in shown:
        axes.plot(
            # Days since the epoch: matplotlib's own date unit (matplotlib.dates).
            [at.timestamp() / 86400 for at, _ in points],
            [value * 100 for _, value in points],
            marker="o",
            label=_short(label, 40),
        )
    axes.xaxis_date()
    axes.set_ylim(0, 105)
    axes.set_ylabel("Progress to target (%)")
    axes.grid(axis="y", alpha=0.3)
    axes.set_title(_short(title, 70))
    if shown:
        axes.legend(loc="upper left", fontsize="small")
    figure.autofmt_xdate()
    figure.tight_layout()
    data = [
        {
            "label": label,
            "points": [[at.date().isoformat(), round(value, 4)] for at, value in points],
        }
        for label, points in shown
    ]
    out = io.BytesIO()
    figure.savefig(out, format="png", metadata={SERIES_KEY: json.dumps(data)})
    return out.getvalue()
