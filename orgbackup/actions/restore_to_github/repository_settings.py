"""A repository's own settings that are not fields of the repository: its topics, Actions
variables, autolinks, deploy keys and webhooks put back; its Actions secrets named for a person.

What the backup holds of them (backup/parts/repository_settings.py; github-backup --hooks):
  settings/<NAME>/repository.json           topics (with the repository's fields: repository_bodies.py)
  settings/<NAME>/actions-variables.json    names and values
  settings/<NAME>/actions-secrets.json      names only: GitHub never gives a secret's value
  settings/<NAME>/autolinks.json            key_prefix, url_template, is_alphanumeric
  settings/<NAME>/deploy-keys.json          title, public key, read_only (the private halves are with
                                            whoever deploys)
  github-backup/repositories/<NAME>/hooks/hooks.json   webhooks, where the token could read them; a
                                            secret only as GitHub masks it ("********")
A piece the backup lacks (no file: the token could not read it, or the backup is older) is skipped.

How each is written, and why a rerun (after a kill too) creates nothing twice:
  topics       PUT .../topics, the whole set (idempotent); once, then a done row
  variables    by name (idempotent): POST, or PATCH where the target has the name with another value
  autolinks    create_once per original id; the target's autolink of the same key prefix is matched
  deploy keys  create_once per original id; the target's key with the same public key is matched;
               GitHub's 422 "key is already in use" (another repository on the host has it) is for a person
  webhooks     create_once per original id, inactive (no secret can be restored); the target's webhook
               of the same URL is matched; each is listed for a person (set the secret, then activate)
  secrets      nothing written; their names listed for a person
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from collections import Counter
from pathlib import Path

from orgbackup.backup.parts.repository_settings import list_object
from orgbackup.actions.restore_to_github.writer import WriteRefused

log = logging.getLogger(__name__)

# The report's (and the state's) names of the parts.
TOPICS, VARIABLES, AUTOLINKS = "topics", "actions variables", "autolinks"
DEPLOY_KEYS, WEBHOOKS = "deploy keys", "webhooks"
IN_USE = "key is already in use"


def read_json(path: Path):
    """A file's JSON; None when the backup does not hold it."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def backed_up(repo) -> dict:
    """What the backup holds of each part (None: not in the backup). repo: source.SourceRepository."""
    folder = repo.settings_folder
    variables = read_json(folder / "actions-variables.json")
    secrets = read_json(folder / "actions-secrets.json")
    return {
        TOPICS: repo.settings.get("topics") if repo.settings else None,
        VARIABLES: None if variables is None else variables.get("variables") or [],
        "secrets": None if secrets is None else [s["name"] for s in secrets.get("secrets") or []],
        AUTOLINKS: read_json(folder / "autolinks.json"),
        DEPLOY_KEYS: read_json(folder / "deploy-keys.json"),
        WEBHOOKS: read_json(repo.folder / "hooks" / "hooks.json"),
    }


def planned_settings_writes(repo) -> Counter:
    """The writes restore_settings makes at most (planned_writes' share)."""
    parts = backed_up(repo)
    return +Counter({"topic lists": int(bool(parts[TOPICS])), VARIABLES: len(parts[VARIABLES] or []),
                     AUTOLINKS: len(parts[AUTOLINKS] or []), DEPLOY_KEYS: len(parts[DEPLOY_KEYS] or []),
                     WEBHOOKS: sum(1 for h in parts[WEBHOOKS] or [] if h.get("name", "web") == "web")})


def left_for_a_person(repo) -> Counter:
    """What a person does after the restore whatever happens (the dry run's counts): the secrets to
    set, the webhooks to activate."""
    parts = backed_up(repo)
    return +Counter({"actions secrets": len(parts["secrets"] or []),
                     "inactive webhooks": sum(1 for h in parts[WEBHOOKS] or [] if h.get("name", "web") == "web")})


class Listing:
    """One of the target's listings, read when first needed, and again (`fresh`) where a create
    may have happened since (a pending row, a lost answer)."""

    def __init__(self, read):
        self.read, self.items = read, None

    def find(self, same, *, fresh: bool = False) -> dict | None:
        if self.items is None or fresh:
            self.items = self.read() or []
        return next((item for item in self.items if same(item)), None)


def public_key(key: str) -> str:
    """An OpenSSH public key without its comment: "TYPE BASE64", how GitHub compares them."""
    return " ".join((key or "").split()[:2])


def fingerprint(key: str) -> str:
    """ssh-keygen's and GitHub's SHA256 fingerprint of a public key (how a person finds it)."""
    try:
        blob = base64.b64decode(public_key(key).split()[1])
    except (IndexError, ValueError):
        return "no fingerprint"
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


class SettingsRestore:
    """The parts of one repository, written through its RepositoryRestore `step` (its writer,
    state keys, outcome)."""

    def __init__(self, step):
        self.step, self.w, self.state = step, step.w, step.state
        self.path = step.path
        self.where = f"{step.target.org}/{step.name}"
        self.parts = backed_up(step.repo)

    def run(self) -> None:
        for part, restore in ((TOPICS, self.topics), (VARIABLES, self.variables), (AUTOLINKS, self.autolinks),
                              (DEPLOY_KEYS, self.deploy_keys), (WEBHOOKS, self.webhooks)):
            self.guarded(part, restore, self.parts[part])
        if self.parts["secrets"]:
            names = ", ".join(self.parts["secrets"])
            self.for_a_person(f"Actions secrets {names}: GitHub never gives a secret's value, so the backup has "
                              f"their names only; set each in {self.where} (Settings > Secrets and variables > "
                              f"Actions) from where its value is kept")

    def guarded(self, part: str, restore, backed_up_part) -> None:
        """restore(backed_up_part): a part the backup lacks (None) skipped; a refusal the part's problem."""
        if backed_up_part is None:
            log.info("%s: no %s in the backup: not restored", self.where, part)
            return
        self.step.guarded(part, lambda: restore(backed_up_part))

    def for_a_person(self, text: str) -> None:
        self.step.for_a_person(text)

    def created(self, part: str, n: int = 1) -> None:
        self.step.outcome.created[part] += n

    # ------------------------------------------------------------------ idempotent by name

    def topics(self, names: list[str]) -> None:
        if not names or self.state.done_target("topics", self.step.key()) is not None:
            return
        self.w.write("PUT", f"{self.path}/topics", {"names": names}, what="topics")
        self.state.mark_done("topics", self.step.key(), {"names": names})
        self.created(TOPICS, len(names))

    def variables(self, variables: list[dict], base: str = "", kind: str = "actions variable",
                  scope: tuple = (), part: str = "", fields=lambda variable: {}) -> None:
        """Variables by name (idempotent) under `base` (the repository's Actions variables by default;
        an environment's: its path, its kind and its name as `scope` of the state's keys; the
        organization's: `fields` gives each one's visibility, which its listing shows too)."""
        base = base or f"{self.path}/actions/variables"
        todo = [v for v in variables
                if self.state.done_target(kind, self.step.key("variable", *scope, v["name"])) is None]
        if not todo:
            return
        on_github = {v["name"].upper(): v for v in list_object(self.w.api, base, "variables")[0]}
        part = part or (VARIABLES if not scope else "environment variables")
        for variable in todo:
            name = variable["name"]
            body = {"value": variable.get("value") or "", **fields(variable)}
            have = on_github.get(name.upper())
            if have is None:
                try:
                    self.w.write("POST", base, {"name": name, **body}, what=f"variable {name}", idempotent=False)
                    have = body
                    self.created(part)
                except WriteRefused as exc:
                    if exc.status != 409:  # 409: made since the listing (a stopped run's answer lost)
                        raise
                    have = {}
            if any(have.get(key) != value for key, value in body.items() if key != "selected_repository_ids"):
                # another value there (or unknown after a 409): the backup's
                self.w.write("PATCH", f"{base}/{name}", body, what=f"variable {name}")
                self.created(part)
            self.state.mark_done(kind, self.step.key("variable", *scope, name), {"name": name})

    # ------------------------------------------------------------------ with ids: created once

    def autolinks(self, autolinks: list[dict]) -> None:
        listing = Listing(lambda: self.w.read(f"{self.path}/autolinks"))  # unpaged: GitHub takes no per_page
        for link in autolinks:
            key = self.step.key("autolink", link["id"])
            if self.state.done_target("autolink", key) is not None:
                continue
            prefix = link["key_prefix"]
            body = {"key_prefix": prefix, "url_template": link["url_template"],
                    "is_alphanumeric": bool(link.get("is_alphanumeric", True))}

            def same(found, prefix=prefix):
                return (found.get("key_prefix") or "").lower() == prefix.lower()
            existing = self.unrecorded("autolink", key) and listing.find(same)
            if existing:
                self.matched("autolink", key, existing, f"autolink {prefix}")
                if existing.get("url_template") != body["url_template"]:
                    self.for_a_person(f"autolink {prefix}: {self.where} has one already, to "
                                      f"{existing.get('url_template')} (the backup's: {body['url_template']}); "
                                      f"GitHub cannot change one: delete it there and add the backup's if wanted")
                continue
            self.post_once("autolink", key, f"{self.path}/autolinks", body, f"autolink {prefix}", listing, same)
            self.count(AUTOLINKS)

    def deploy_keys(self, keys: list[dict]) -> None:
        listing = Listing(lambda: self.w.read_all(f"{self.path}/keys"))
        for deploy_key in keys:
            key = self.step.key("deploy key", deploy_key["id"])
            if self.state.done_target("deploy key", key) is not None:
                continue
            blob, title = public_key(deploy_key.get("key")), deploy_key.get("title") or ""

            def same(found, blob=blob):
                return public_key(found.get("key")) == blob
            existing = self.unrecorded("deploy key", key) and listing.find(same)
            if existing:
                self.matched("deploy key", key, existing, f"deploy key {title}")
                continue
            body = {"title": title, "key": blob, "read_only": bool(deploy_key.get("read_only"))}
            try:
                self.post_once("deploy key", key, f"{self.path}/keys", body, f"deploy key {title}", listing, same)
            except WriteRefused as exc:
                if exc.status != 422 or IN_USE not in exc.message:
                    raise
                # Nothing made (the row stays pending: a rerun looks on GitHub, then tries again).
                self.for_a_person(
                    f"deploy key {title!r} ({fingerprint(blob)}, {'read-only' if body['read_only'] else 'read-write'}) "
                    f"not added: GitHub refuses a public key another repository on this GitHub has already "
                    f"(\"{IN_USE}\"), the original's most likely; remove it there and add it to {self.where} "
                    f"(Settings > Deploy keys), or give whoever deploys a new key pair and add its public key")
                continue
            self.count(DEPLOY_KEYS)

    def webhooks(self, hooks: list[dict]) -> None:
        listing = Listing(lambda: self.w.read_all(f"{self.path}/hooks"))
        for hook in hooks:
            config = hook.get("config") or {}
            url, events = config.get("url") or "", list(hook.get("events") or ["push"])
            if hook.get("name", "web") != "web" or not url:
                self.for_a_person(f"hook {hook.get('name')!r} (id {hook.get('id')}) not restored: GitHub's API "
                                  f"creates webhooks only")
                continue
            key = self.step.key("webhook", hook["id"])
            body = {"name": "web", "active": False, "events": events,
                    "config": {k: config[k] for k in ("url", "content_type", "insecure_ssl") if k in config}}

            def same(found, url=url):
                return (found.get("config") or {}).get("url") == url
            if self.state.done_target("webhook", key) is None:
                existing = self.unrecorded("webhook", key) and listing.find(same)
                if existing:
                    self.matched("webhook", key, existing, f"webhook {url}")
                else:
                    self.post_once("webhook", key, f"{self.path}/hooks", body, f"webhook {url}", listing, same)
                    self.count(WEBHOOKS)
            todo = "set its secret (GitHub never gives it back), then activate it" if config.get("secret") else \
                "it had no secret: activate it"
            was = "" if hook.get("active", True) else " (inactive in the original too)"
            self.for_a_person(f"webhook {url} ({', '.join(events)}) created inactive{was}: {todo} in "
                              f"{self.where} (Settings > Webhooks)")

    # ------------------------------------------------------------------ helpers

    def post_once(self, kind: str, key: str, path: str, body: dict, what: str, listing, same) -> None:
        """POST `body` to `path` once for this original (create_once: pending, then done with the made
        one's id); after a stop between the POST and its record, the item `same` finds is adopted."""
        self.w.create_once(kind, key, lambda: self.w.write("POST", path, body, what=what, idempotent=False),
                           lambda: listing.find(same, fresh=True), summary=lambda r: {"id": r.get("id")})

    def unrecorded(self, kind: str, key: str) -> bool:
        """No row: never sent by this restore (a pending row is create_once's: looked for, adopted)."""
        return self.state.get(kind, key) is None

    def matched(self, kind: str, key: str, existing: dict, what: str) -> None:
        """The target has it already (made by hand, or by a run stopped before it recorded it): recorded, not made."""
        log.info("%s: %s is there already: matched", self.where, what)
        self.state.mark_done(kind, key, {"id": existing.get("id")})

    def count(self, part: str) -> None:
        if self.w.fresh:
            self.created(part)
