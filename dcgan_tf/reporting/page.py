"""One self-contained page of a run, OUT/report.html, to keep or to share.

    python -m dcgan_tf.report output            # the run whose --out was output/

The page shows the config, device and data, the time per epoch, the last progress grid, the
GIF, the loss plot, the quality curve and metrics when there are any, and the resume history.
The grid and the GIF are shown at their own size (each picture in them already enlarged a whole
number of times, `tutorial.images.grid_scale`: 84 pixels at 28, 128 at 64 and at 128), never
scaled down but to fit a narrow window.
Images are inlined as data: URIs and the style sheet is inline: the file opens offline and
fetches nothing. Training writes it at the end of every completed run (journal.RunJournal).
"""

from __future__ import annotations

import base64
import csv
import dataclasses
import html
import json
import statistics
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from dcgan_tf.common.errors import DamagedFile, UserError, gist
from dcgan_tf.common.files import write_atomic
from dcgan_tf.config import load_saved_config
from dcgan_tf.reporting.records import read_journal

REPORT = "report.html"
MAX_EPOCH_ROWS = 40  # a run of thousands of short epochs shows evenly spaced ones

STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; max-width: 980px; margin: 2em auto; padding: 0 1em;
       color: #222; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { margin-top: 1.6em; border-bottom: 1px solid #ddd; }
.lead { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: 0.5em 0; }
td, th { padding: 2px 10px; border-bottom: 1px solid #eee; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.pictures { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
figure { margin: 0; } figcaption { color: #555; font-size: 0.9em; }
img.pixels { image-rendering: pixelated; max-width: 100%; }
img.plot { max-width: 100%; }
code { background: #f4f4f4; padding: 0 3px; }
"""


def data_uri(path: Path) -> str:
    """The file as a data: URI (PNG or GIF), so the page needs nothing beside itself."""
    kind = {".png": "image/png", ".gif": "image/gif"}[path.suffix]
    return f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def figure(path: Path, caption: str, css_class: str) -> str:
    return (
        f'<figure><img class="{css_class}" src="{data_uri(path)}" alt="{html.escape(caption)}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def table(header: Sequence[str], rows: Sequence[Sequence[object]], numeric: int = 0) -> str:
    """An HTML table; the last `numeric` columns are right-aligned numbers."""

    def cells(values: Sequence[object], tag: str) -> str:
        first_number = len(values) - numeric
        return "".join(
            f"<{tag}{' class=num' if i >= first_number else ''}>{html.escape(str(v))}</{tag}>"
            for i, v in enumerate(values)
        )

    body = "".join(f"<tr>{cells(row, 'td')}</tr>" for row in rows)
    return f"<table><tr>{cells(header, 'th')}</tr>{body}</table>"


def last_grid(out: Path) -> Path | None:
    """The newest epoch grid, else the newest step snapshot."""
    for pattern in ("image_at_epoch_*.png", "image_at_step_*.png"):
        found = sorted(out.glob(pattern))
        if found:
            return found[-1]
    return None


def section_pictures(out: Path) -> str:
    pictures = []
    grid = last_grid(out)
    if grid:
        pictures.append(figure(grid, f"the last progress grid ({grid.name})", "pixels"))
    if (out / "dcgan.gif").exists():
        pictures.append(figure(out / "dcgan.gif", "every epoch's grid (dcgan.gif)", "pixels"))
    if not pictures:
        return "<p>No progress grid yet.</p>"
    return f'<div class="pictures">{"".join(pictures)}</div>'


def section_epochs(epochs: list[dict]) -> str:
    if not epochs:
        return "<p>No epoch completed yet.</p>"
    whole = [row["seconds"] for row in epochs if not row.get("partial")] or [
        row["seconds"] for row in epochs
    ]
    summary = (
        f"<p>{len(epochs)} epoch(s), {sum(r['seconds'] for r in epochs):.0f} s in all; "
        f"per epoch median {statistics.median(whole):.1f} s, "
        f"fastest {min(whole):.1f} s, slowest {max(whole):.1f} s. The time of an epoch runs "
        "from the end of the one before (the first of each part includes start-up).</p>"
    )
    shown = epochs
    if len(epochs) > MAX_EPOCH_ROWS:  # evenly spaced rows, the last always included
        every = -(-len(epochs) // MAX_EPOCH_ROWS)
        shown = epochs[::every] + ([epochs[-1]] if (len(epochs) - 1) % every else [])
    rows = [
        (
            r["epoch"],
            r["step"],
            f"{r['seconds']:.1f}" + (" (resumed midway)" * bool(r.get("partial"))),
        )
        for r in shown
    ]
    return summary + table(("epoch", "last step", "seconds"), rows, numeric=3)


def section_history(segments: list[dict]) -> str:
    if not segments:
        return "<p>No journal: this run was trained before run journals existed.</p>"

    def ended(i: int, segment: dict) -> str:
        if segment["completed"]:
            return "completed"
        return "stopped (Ctrl-C or killed)" + ("; resumed" if i < len(segments) else "")

    rows = [
        (
            i,
            s["started"].replace("T", " ").rstrip("Z"),
            s["ended"].replace("T", " ").rstrip("Z"),
            f"{s['first_step']} → {s['last_step']}",
            ended(i, s),
            s.get("device", ""),
        )
        for i, s in enumerate(segments, 1)
    ]
    header = ("part", "started (UTC)", "last saved (UTC)", "steps", "how it ended", "device")
    return table(header, rows)


QUALITY_TITLES = {  # quality.csv's columns and titles: digits (False), pictures (True)
    False: {"epoch": "epoch", "step": "step", "fid": "FID", "classifier_score": "classifier score"},
    True: {"epoch": "epoch", "step": "step", "fid": "FID", "kid": "KID", "kid_std": "KID std"},
}


def section_quality(out: Path) -> str:
    parts = []
    if (out / "quality.png").exists():
        parts.append(figure(out / "quality.png", "quality against training time", "plot"))
    if (out / "quality.csv").exists():
        try:
            with (out / "quality.csv").open(newline="") as f:
                reader = csv.DictReader(f)
                measures = QUALITY_TITLES["kid" in (reader.fieldnames or ())]
                rows = [tuple(r[key] for key in measures) for r in reader]
            for row in rows:
                for value in row:
                    float(value)  # ValueError unless every value is a number
        except (OSError, ValueError, KeyError, TypeError, csv.Error) as err:
            raise DamagedFile(out / "quality.csv", f"not a quality history ({gist(err)})") from None
        parts.append(table(tuple(measures.values()), rows, numeric=len(measures)))
    if (out / "metrics.json").exists():
        try:
            parts.append(metrics_table(json.loads((out / "metrics.json").read_text())))
        except (OSError, ValueError, KeyError, TypeError, IndexError) as err:
            raise DamagedFile(
                out / "metrics.json", f"not evaluate's metrics ({gist(err)})"
            ) from None
    return "".join(parts)


def metrics_table(report: dict) -> str:
    """The table `python -m dcgan_tf.evaluate` printed: the samples beside real data."""
    from dcgan_tf.evaluation.tables import table_cell, table_rows  # only when there are metrics

    samples, real = report["samples"], report["real_data"]
    rows = [
        (title, table_cell(samples, key, fmt), table_cell(real, key, fmt))
        for title, key, fmt in table_rows(samples)
    ]
    source = html.escape(str(report.get("source", "")))
    caption = f"<p>Measured by <code>dcgan_tf.evaluate</code> on {source}:</p>"
    return caption + table(("metric", "samples", "real data"), rows, numeric=2)


def build_report(out: str | Path) -> str:
    """The page of the run in `out`, as HTML text."""
    out = Path(out)
    saved = load_saved_config(out)
    if saved is None:
        raise UserError(f"{out}: no config.json; give the --out folder of a training run")
    config = dataclasses.asdict(saved)
    journal = read_journal(out)
    segments, epochs = journal["segments"], journal["epochs"]
    last = segments[-1] if segments else {}
    steps = last.get("last_step", "?")
    state = "completed" if last.get("completed") else "not completed"
    lead = (
        f"{html.escape(str(config.get('model', 'dcgan')))} on "
        f"{html.escape(str(config.get('dataset')))}/{html.escape(str(config.get('split')))}: "
        f"{steps} steps, {len(epochs)} epoch(s), {len(segments)} part(s), {state}"
    )
    device = html.escape(last.get("device") or "not recorded")
    data = html.escape(last.get("data") or "not recorded")
    config_rows = [(name, json.dumps(value)) for name, value in config.items()]
    sections = [
        f"<h1>Run report: {html.escape(out.resolve().name)}</h1><p class=lead>{lead}</p>",
        f"<p><b>Device:</b> {device}<br><b>Data:</b> {data}</p>",
        "<h2>Pictures</h2>" + section_pictures(out),
        "<h2>Losses</h2>"
        + (
            figure(out / "losses.png", "generator and discriminator loss per step", "plot")
            if (out / "losses.png").exists()
            else "<p>No loss plot yet.</p>"
        ),
    ]
    quality = section_quality(out)
    if quality:
        sections.append("<h2>Quality</h2>" + quality)
    sections += [
        "<h2>Time per epoch</h2>" + section_epochs(epochs),
        "<h2>Resume history</h2>" + section_history(segments),
        "<h2>Config</h2>" + table(("setting", "value"), config_rows),
    ]
    made = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    footer = f"<p class=lead>Written {made} by <code>python -m dcgan_tf.report</code>.</p>"
    return (
        "<!doctype html>\n<html lang=en><head><meta charset=utf-8>"
        f"<title>Run report: {html.escape(out.resolve().name)}</title>"
        f"<style>{STYLE}</style></head>\n<body>\n"
        + "\n".join(sections)
        + footer
        + "\n</body></html>\n"
    )


def write_report(out: str | Path) -> Path:
    """Write OUT/report.html (atomically) and return its path."""
    return write_atomic(Path(out) / REPORT, build_report(out).encode())
