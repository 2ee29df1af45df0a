"""Where the repository is: ROOT, the folder holding orgbackup/, tests/, docs/, ..."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
