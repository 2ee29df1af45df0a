"""Back up whole GitHub organizations into a restic repository, and prove it."""

__version__ = "0.1.0"
