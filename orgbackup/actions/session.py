"""What every command holds while it runs: one context manager for the six of them.

    with session(config, lock=..., trust=...) as s:
        s.files    the run's private secret files (token, restic password and repository, the
                   credential helper's scope), removed when the block ends, whatever happens
        s.verify   `verify=` for every GitHub client of the command (the run's CA bundle, or True)

On entry every secret value of the configuration is masked in what is logged or raised, and
restic's backend variables are withheld from every program but restic; `lock` (a folder) is
taken so that two commands never overlap on it; `trust` makes every program of the command
trust GITHUB_CA_BUNDLE (orgbackup/config/trust.py).
"""

from __future__ import annotations

from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from orgbackup.cache.lock import cache_lock
from orgbackup.config.secret_files import SecretFiles, register_secrets, remove_secret_files, write_secret_files
from orgbackup.config.settings import Config
from orgbackup.config.trust import trusted_for_run, verify_for


@dataclass(frozen=True)
class Session:
    config: Config
    files: SecretFiles
    verify: str | bool


@contextmanager
def session(config: Config, *, lock: Path | None = None, trust: bool = False,
            files_config: Config | None = None) -> Iterator[Session]:
    """`files_config`: the configuration whose token the secret files hold, when it is not
    `config`'s (restore-to-github: the target's token and host, the backup's restic)."""
    register_secrets(config)
    files = write_secret_files(files_config or config)
    try:
        with ExitStack() as held:
            if lock is not None:
                held.enter_context(cache_lock(lock))
            bundle = held.enter_context(trusted_for_run(files_config or config, files.directory)) if trust else None
            yield Session(config, files, verify_for(bundle))
    finally:
        remove_secret_files(files)
