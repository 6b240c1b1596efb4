"""The run's journal as the page reads it, OUT/journal.json, checked row by row: a journal that
does not hold what the page shows is a DamagedFile, never a traceback halfway through a page.
"""

from __future__ import annotations

import json
from pathlib import Path

from dcgan_tf.common.errors import DamagedFile, gist

JOURNAL = "journal.json"  # written by journal.RunJournal
# What each row of the journal must hold for the page (None: may be missing).
SEGMENT_FIELDS = {"started": str, "ended": str, "first_step": int, "last_step": int}
SEGMENT_FIELDS |= {"completed": bool, "device": (str, None), "data": (str, None)}
EPOCH_FIELDS = {"epoch": int, "step": int, "seconds": (int, float)}


def read_journal(out: str | Path) -> dict:
    """OUT/journal.json, or an empty journal (a run trained before journals existed); a file
    that is not one raises DamagedFile."""
    path = Path(out) / JOURNAL
    if not path.exists():
        return {"segments": [], "epochs": []}
    try:
        journal = json.loads(path.read_text())
        journal = {"segments": list(journal["segments"]), "epochs": list(journal["epochs"])}
        for rows, fields in (
            (journal["segments"], SEGMENT_FIELDS),
            (journal["epochs"], EPOCH_FIELDS),
        ):
            for row in rows:
                check_fields(row, fields)
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise DamagedFile(path, f"not a readable run journal ({gist(err)})") from None
    return journal


def check_fields(row: object, fields: dict) -> None:
    """Raise TypeError unless `row` is a dict whose values have the `fields`' types."""
    if not isinstance(row, dict):
        raise TypeError(f"a row is {row!r}, not an object")
    for name, kinds in fields.items():
        kinds = kinds if isinstance(kinds, tuple) else (kinds,)
        if None in kinds and row.get(name) is None:
            continue
        value = row[name]
        if not isinstance(value, tuple(k for k in kinds if k is not None)):
            raise TypeError(f"{name} is {value!r}")
