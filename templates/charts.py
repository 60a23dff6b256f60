"""Charts as PNG bytes, drawn headless (matplotlib's Agg canvas; no display, no pyplot state,
so it is safe on Bolt's worker threads).

The plotted series are also written into the PNG as a `lessonloop:series` text chunk, so a
reader (or a test) can tell what the picture shows without looking at pixels."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence

SERIES_KEY = "lessonloop:series"
ACTIONS_COLOUR = "#1f77b4"
LESSONS_COLOUR = "#e8912d"


def trend_chart(
    *,
    labels: Sequence[str],
    open_actions: Sequence[int],
    open_lessons: Sequence[int],
    title: str,
) -> bytes:
    """Open actions and open lessons carried over at each point, as a line chart."""
    # Imported here: matplotlib takes most of a second to import, and only reports need it.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(8, 4), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    x = list(range(len(labels)))
    axes.plot(x, list(open_actions), marker="o", color=ACTIONS_COLOUR, label="Open actions")
    axes.plot(x, list(open_lessons), marker="s", color=LESSONS_COLOUR, label="Open lessons")
    axes.set_xticks(x, [_short(label) for label in labels], rotation=20, ha="right")
    axes.set_ylabel("Carried over")
    axes.set_ylim(bottom=0)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.grid(axis="y", alpha=0.3)
    axes.set_title(_short(title, 70))
    axes.legend(loc="upper left")
    figure.tight_layout()
    series = {
        "labels": list(labels),
        "open_actions": list(open_actions),
        "open_lessons": list(open_lessons),
    }
    out = io.BytesIO()
    figure.savefig(out, format="png", metadata={SERIES_KEY: json.dumps(series)})
    return out.getvalue()


def _short(text: str, limit: int = 24) -> str:
    # Matplotlib reads $...$ as maths; people's titles are text. Its bundled font has no
    # emoji, which would draw as empty boxes, so they are left out of the picture.
    text = "".join(c for c in text if ord(c) <= 0xFFFF).replace("$", r"\$")
    return text if len(text) <= limit else text[: limit - 1] + "…"
