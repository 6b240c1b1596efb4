"""The journal of a `--resume-from`: every file operation of going back written down before the
first one is done, so that a kill at any moment leaves a folder the next start completes.

CHECKPOINT_DIR/going-back.json (written atomically, like every file here):

    {"source": "/abs/ck/kept/epoch-0002", "epoch": 2, "step": 6, "checkpoint": "ckpt-5",
     "old": "old-<time>", "steps": [{"do": "copy", "from": ..., "to": ...}, ...], "done": 3}

Each step is one of: `copy` a file (atomically), `move` a file or folder (a rename), `name` the
checkpoint the folder resumes from (the `checkpoint` state file), `keep_rows` of a CSV up to a
step or epoch (rewritten from a full copy made by an earlier step). None deletes anything, and
each one done twice does what it did once: `done` counts the steps finished, and a kill between
a step and its count only makes the next start do that step again. Paths are "ck:NAME" and
"out:NAME" (inside the run's two folders, so that they may be renamed) or absolute.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

from dcgan_tf.common.errors import DamagedFile, WriteFailed, gist
from dcgan_tf.common.files import write_atomic, write_atomic_with
from dcgan_tf.run.recovery import write_checkpoint_state

JOURNAL = "going-back.json"
FIELDS = {"source": str, "epoch": int, "step": int, "checkpoint": str, "old": str, "steps": list}
STEPS = {"copy": ("from", "to"), "move": ("from", "to"), "keep_rows": ("file", "column", "last")}
STEPS["name"] = ("checkpoint",)


def copy(source: str, target: str) -> dict:
    return {"do": "copy", "from": source, "to": target}


def move(source: str, target: str) -> dict:
    return {"do": "move", "from": source, "to": target}


def keep_rows(file: str, column: str, last: int) -> dict:
    return {"do": "keep_rows", "file": file, "column": column, "last": last}


def name_newest(checkpoint: str) -> dict:
    return {"do": "name", "checkpoint": checkpoint}


def pending_journal(checkpoint_dir: Path) -> dict | None:
    """The journal of a going back cut short in `checkpoint_dir`, None when there is none;
    DamagedFile when it does not read back."""
    path = checkpoint_dir / JOURNAL
    if not path.exists():
        return None
    try:
        record = json.loads(path.read_text())
        for name, kind in {**FIELDS, "done": int}.items():
            if not isinstance(record[name], kind):
                raise TypeError(f"{name} is {record[name]!r}")
        for step in record["steps"]:
            keys = STEPS[step["do"]]  # (a TypeError for a step that is no dict)
            if any(not isinstance(step[key], int if key == "last" else str) for key in keys):
                raise TypeError(f"a step {step!r}")
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise DamagedFile(path, f"not a readable record of a --resume-from ({gist(err)})") from None
    return record


def carry_out(record: dict, checkpoint_dir: Path, out: Path) -> None:
    """Write `record` as the journal (if not there yet), do its steps from the first not done,
    counting each, then remove the journal."""
    path = checkpoint_dir / JOURNAL
    roots = {"ck": checkpoint_dir, "out": out}

    def save() -> None:
        write_atomic(path, (json.dumps(record, indent=1) + "\n").encode())

    if not path.exists():
        save()
    try:
        for index in range(record["done"], len(record["steps"])):
            apply(record["steps"][index], roots)
            record["done"] = index + 1
            save()
    except OSError as err:
        raise WriteFailed(
            f"could not finish going back to {record['source']}: {gist(err)}; fix it and rerun: "
            f"the run starts by completing the rest ({path} lists it)"
        ) from None
    path.unlink()


def apply(step: dict, roots: dict[str, Path]) -> None:
    """Do one step of a journal (see the module); what a kill may have done already is skipped."""

    def where(name: str) -> Path:
        return resolve(name, roots)

    if step["do"] == "copy":
        source, target = where(step["from"]), where(step["to"])
        if source.exists() or not target.exists():
            write_atomic_with(target, lambda tmp: shutil.copyfile(source, tmp))
    elif step["do"] == "move":
        source, target = where(step["from"]), where(step["to"])
        if source.exists() or source.is_symlink():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(source), target)
    elif step["do"] == "keep_rows":
        keep_rows_up_to(where(step["file"]), step["column"], step["last"])
    elif step["do"] == "name":
        write_checkpoint_state(roots["ck"], [step["checkpoint"]])


def resolve(name: str, roots: dict[str, Path]) -> Path:
    """'ck:ckpt-5.index' -> CHECKPOINT_DIR/ckpt-5.index; an absolute path as it is."""
    for root, folder in roots.items():
        if name.startswith(f"{root}:"):
            return folder / name[len(root) + 1 :]
    return Path(name)


def keep_rows_up_to(path: Path, column: str, last: int) -> None:
    """Rewrite the CSV `path` (atomically) without the rows whose `column` exceeds `last`. A file
    that is not such a CSV is left as it is (its full copy is already aside; the run's reader
    moves a damaged one into damaged-<time>/)."""
    if not path.exists():
        return
    try:
        with path.open(newline="") as f:
            reader = csv.DictReader(f)
            fields, rows = reader.fieldnames or [], [r for r in reader if int(r[column]) <= last]
    except (ValueError, KeyError, TypeError, csv.Error):
        return
    text = io.StringIO()
    writer = csv.DictWriter(text, fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_atomic(path, text.getvalue().encode())
