"""The quality numbers as tables: `evaluate`'s, the report page's, QUALITY.md's.

Digits are measured by the digit classifier (FID, classifier score, classes, precision and
recall); other pictures by Inception-v3 (FID and KID). `table_rows` picks the rows a metrics
dict has.
"""

from __future__ import annotations

TABLE_ROWS = [  # (title, key in the metrics, format): digits, measured by the digit classifier
    ("FID (lower is better)", "fid", "{:.3f}"),
    ("classifier score (1 to 10)", "classifier_score", "{:.3f}"),
    ("KL(classes || uniform)", "kl_from_uniform", "{:.4f}"),
    ("digits under 5% of samples", "rare_classes", "{}"),
    ("precision (k=3)", "precision", "{:.3f}"),
    ("recall (k=3)", "recall", "{:.3f}"),
    ("coverage (k=3)", "coverage", "{:.3f}"),
    ("samples / real images", None, "{}"),
]
PICTURE_ROWS = [  # other pictures, measured in Inception-v3's pool features
    ("FID in Inception features", "fid", "{:.3f}"),
    ("KID in Inception features", "kid", "{:.5f}"),
    ("KID std over subsets", "kid_std", "{:.5f}"),
    ("samples / real images", None, "{}"),
]


def table_rows(metrics: dict) -> list[tuple[str, str | None, str]]:
    """The rows of `metrics`: the pictures' when they hold a KID, else the digits'."""
    return PICTURE_ROWS if "kid" in metrics else TABLE_ROWS


def table_cell(metrics: dict, key: str | None, fmt: str) -> str:
    """One metric as text: a list of digits, a number, or (key None) the sample counts."""
    if key is None:
        return f"{metrics['num_samples']} / {metrics['num_real']}"
    value = metrics[key]
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "none"
    return fmt.format(value)


def format_table(samples: dict, real: dict) -> str:
    """A plain-text table: one row per metric, the samples beside the real data."""
    lines = [f"{'metric':<28}{'samples':>28}{'real data':>16}"]
    for title, key, fmt in table_rows(samples):
        cells = f"{table_cell(samples, key, fmt):>28}{table_cell(real, key, fmt):>16}"
        lines.append(f"{title:<28}{cells}")
    if "class_histogram" in samples:
        shares = " ".join(f"{k}:{h:.1%}" for k, h in enumerate(samples["class_histogram"]))
        lines.append(f"class histogram of the samples: {shares}")
    if "per_label_accuracy" in samples:
        accuracy = " ".join(f"{k}:{a:.1%}" for k, a in samples["per_label_accuracy"].items())
        lines.append(f"per-label accuracy (drawn for k, read as k): {accuracy}")
    return "\n".join(lines)
