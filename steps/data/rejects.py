"""What a batch did not use, and why: one list per batch and one set of counters, on every route.

Every member of a batch (a file of its folder, or a member of a tar or zip archive) is either
used (the image, trimap or `list.txt` of a sample) or listed once in the batch's
`rejects.json`, whichever way the batch came: a folder or an archive committed to `pets`, or a
batch the stream spout emitted. An entry:

    {"stage": "warehouse", "outcome": "ignored", "reason": "AppleDouble metadata file ...",
     "members": ["pets.tar.gz:oxford/images/._Bengal_1.jpg"], "sample": null}

- `stage`: `stream` when the spout did not pass the member into the batch (the spout commits
  those entries with the batch, as `refused.json`, and warehouse takes them over), `warehouse`
  when warehouse set it aside.
- `outcome`: `rejected` for what was meant as data but cannot be used or is unsafe (an archive
  member with an absolute path, `..`, a link or a device; a file that cannot be read; a second
  copy of a member; a sample that fails its checks), `ignored` for what is not part of any
  sample (AppleDouble `._*` files, `.DS_Store`, `.mat` or `.xml` files, any other file).
- `members`: where each was found: a path in the batch folder, `ARCHIVE:MEMBER` for an archive
  member; for stage `stream`, the same in the stream's source.
- `sample`: the sample's name when a whole sample is rejected (its image and trimap are the
  members), else null.

`summary.json` is `{"kept", "repaired", "rejected", "ignored"}`: samples written, how many of
those were repaired, and the entries of `rejects.json` by outcome, so `rejected + ignored` is
always its length.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath

REJECTED, IGNORED = "rejected", "ignored"
STREAM, WAREHOUSE = "stream", "warehouse"
REFUSED_FILE = "refused.json"  # the spout's entries, committed at the top of the batch
REJECTS_FILE, SUMMARY_FILE = "rejects.json", "summary.json"
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".zip")
FIELDS = ("stage", "outcome", "reason", "members", "sample")


@dataclass(frozen=True)
class Unused:
    """One entry of rejects.json: members that were not used, with the reason."""

    stage: str
    outcome: str
    reason: str
    members: tuple[str, ...]
    sample: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "stage": self.stage,
            "outcome": self.outcome,
            "reason": self.reason,
            "members": list(self.members),
            "sample": self.sample,
        }


def is_archive(name: str) -> bool:
    return name.lower().endswith(ARCHIVE_SUFFIXES)


def metadata_reason(path: str) -> str | None:
    """Why an AppleDouble or Finder file is not a sample, whatever its suffix; else None."""
    parts = PurePosixPath(path).parts
    name = parts[-1] if parts else path
    if name.startswith("._") or "__MACOSX" in parts:
        return "AppleDouble metadata file (macOS), not a sample"
    if name == ".DS_Store":
        return "Finder metadata file (macOS), not a sample"
    return None


def why_ignored(path: str) -> str:
    """The reason a member that is not part of a sample is set aside."""
    if reason := metadata_reason(path):
        return reason
    if is_archive(path):
        return "an archive inside an archive is not unpacked"
    return (
        "not part of a sample: a batch uses images/<name>.jpg, "
        "annotations/trimaps/<name>.png and annotations/list.txt"
    )


def sample_hint(entry: Unused) -> str:
    """The sample an entry belongs with: its own, or its member's name without `._` and suffix."""
    if entry.sample is not None:
        return entry.sample
    base = entry.members[0].rsplit("/", 1)[-1].rsplit(":", 1)[-1] if entry.members else ""
    return base.removeprefix("._").rsplit(".", 1)[0]


def parse_entries(text: str) -> list[Unused]:
    """Entries read back from JSON (the spout's refused.json); ValueError says what is wrong."""
    try:
        rows = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(rows, list):
        raise ValueError("not a list of entries")
    entries = []
    for i, row in enumerate(rows):
        if not isinstance(row, dict) or set(row) != set(FIELDS):
            raise ValueError(f"entry {i} does not have exactly the fields {', '.join(FIELDS)}")
        members, sample = row["members"], row["sample"]
        if (
            row["stage"] not in (STREAM, WAREHOUSE)
            or row["outcome"] not in (REJECTED, IGNORED)
            or not isinstance(row["reason"], str)
            or not isinstance(members, list)
            or not all(isinstance(m, str) for m in members)
            or not (sample is None or isinstance(sample, str))
        ):
            raise ValueError(f"entry {i} has a field of the wrong kind")
        entries.append(Unused(row["stage"], row["outcome"], row["reason"], tuple(members), sample))
    return entries


def dump_entries(entries: Iterable[Unused]) -> str:
    """rejects.json (or refused.json): the spout's entries first, then by member."""
    ordered = sorted(entries, key=lambda e: (e.stage != STREAM, e.members, e.reason))
    return json.dumps([e.to_json() for e in ordered], indent=2) + "\n"


def summarise(kept: int, repaired: int, entries: Iterable[Unused]) -> dict[str, int]:
    outcomes = [e.outcome for e in entries]
    return {
        "kept": kept,
        "repaired": repaired,
        "rejected": outcomes.count(REJECTED),
        "ignored": outcomes.count(IGNORED),
    }
