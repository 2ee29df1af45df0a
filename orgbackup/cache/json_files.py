"""JSON files the run writes (the manifest, memos, comment files): whole or not at all."""

from __future__ import annotations

import json
import os
from pathlib import Path


def write_json_atomically(path: Path, data, *, indent: int | None = 1) -> None:
    """Written to a temporary name beside it and renamed, so a stop never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=indent, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
