"""One repository of the backup made again in the target organization, step by step.

Order (each step resumable; see writer.create_once):
  1. the repository (never one this restore did not create: that is left alone, named)
  2. LFS objects, then every branch and tag (git push), then the wiki (where the host takes its first push)
  3. labels, milestones; topics, Actions variables, autolinks, deploy keys, inactive webhooks
     (repository_settings.py; secrets and what else only a person can do: `for_a_person`),
     environments (environments.py), the repository's own rulesets (rulesets.py)
  4. issues and pull requests in number order (numbers match; gaps become closed placeholders),
     each with its comments, review comments and reviews (items.py); a temporary base or head branch
     where GitHub needs one (merged_pulls.py, deleted_heads.py), deleted once it is closed; a gap that was a
     discussion is that discussion, the other discussions after them (discussions.py)
  5. releases with their assets
  6. with --with-access: branch protection, collaborators (access.py)
  7. the settings that would block the steps above (issues off, the default branch),
     archived last
"""

from __future__ import annotations

import logging
import re
import unicodedata
from pathlib import Path
from urllib.parse import quote

from orgbackup.tools import process
from orgbackup.git import argv as git
from orgbackup.cache.release_files import original_name
from orgbackup.actions.restore_to_github import git_push
from orgbackup.actions.restore_to_github.environments import EnvironmentsRestore
from orgbackup.actions.restore_to_github.access import (PROTECTION_NULLABLE, collaborator_permission,
                                                         protection_body)
from orgbackup.actions.restore_to_github.discussions import DiscussionSteps
from orgbackup.actions.restore_to_github.items import IssueSteps
from orgbackup.actions.restore_to_github.merged_pulls import is_temporary_branch
from orgbackup.actions.restore_to_github.repository_bodies import create_body, update_body
from orgbackup.actions.restore_to_github.repository_settings import SettingsRestore
from orgbackup.actions.restore_to_github.rulesets import RulesetsRestore
from orgbackup.actions.restore_to_github.source import SourceOrganization, SourceRepository
from orgbackup.actions.restore_to_github.step import LEFT_ALONE, Outcome, Step, Target
from orgbackup.actions.restore_to_github.writer import TargetWriter, WriteRefused

log = logging.getLogger(__name__)

def github_asset_name(name: str) -> str:
    """The name GitHub gives an uploaded release asset: letters without their accents, and every run
    of other characters than [A-Za-z0-9._-] (dots around it included) one dot; no dot at either end
    ("my file (1).zip" -> "my.file.1.zip"). GitHub documents only that it renames them; this is what
    it was seen to do (travis-ci/dpl#821, softprops/action-gh-release#159)."""
    plain = "".join(ch for ch in unicodedata.normalize("NFKD", name) if not unicodedata.combining(ch))
    dotted = re.sub(r"\.*[^A-Za-z0-9._-]+\.*", ".", plain)
    return dotted.strip(".") or name


class RepositoryRestore(Step, IssueSteps, DiscussionSteps):
    def __init__(self, writer: TargetWriter, source: SourceOrganization, repo: SourceRepository, target: Target):
        # The state's keys of a repository start with its lower-case name (forget_prefix).
        super().__init__(writer, target, repo.name, repo.name.lower())
        self.source, self.repo = source, repo
        self.path = f"repos/{target.org}/{repo.name}"
        self.milestones: dict[int, int] = {}  # original number -> created number
        self.numbers_differ = False

    # ------------------------------------------------------------------ the steps

    def run(self) -> Outcome:
        if self.state.done_target("finished", self.key()) is not None:
            return self.outcome  # restored completely by an earlier run: nothing to do
        if not self.ensure_repository():
            return self.outcome
        pushed = self.push_git()
        self.push_wiki()
        self.labels()
        self.create_milestones()
        settings = SettingsRestore(self)
        settings.run()  # topics, variables, autolinks, deploy keys, webhooks; secrets named
        EnvironmentsRestore(settings).run()  # with their protection rules and variables
        RulesetsRestore(settings).run()  # the repository's own
        for item in self.repo.items:
            if not (item.kind == "gap" and self.restore_discussion_at(item.number)):
                self.restore_item(item)
        self.restore_discussions()
        for release in self.repo.releases:
            self.restore_release(release)
        if self.target.with_access:
            self.restore_access()
        self.final_settings(pushed)
        if not self.outcome.problems:
            self.state.mark_done("finished", self.key())
        return self.outcome

    def settings_value(self, key: str, default=None):
        if key in self.repo.settings:
            return self.repo.settings[key]
        return self.repo.record.get(key, default)

    def ensure_repository(self) -> bool:
        existing = self.w.read(self.path)
        row = self.state.get("repository", self.key())
        if existing is not None:
            ours = row and (row[0] == "pending" or (row[1] or {}).get("id") == existing.get("id"))
            if not ours:
                self.outcome.state = LEFT_ALONE
                self.outcome.problems.append(
                    f"{self.target.org}/{existing.get('name', self.name)} already exists and was not created by "
                    f"this restore: left alone (restore it into another organization, or delete it first)")
                return False
            if row[0] == "pending":
                self.state.mark_done("repository", self.key(), {"id": existing["id"]})
            return True
        if row is not None and row[0] == "done":
            # Created by an earlier run, deleted since: everything recorded for it is gone too.
            self.state.forget_prefix(self.key())
        body, notices = create_body(self.name, self.repo.settings, self.repo.record, self.target.org)
        for text in notices:
            self.notice(text)
        try:
            self.w.create_once(
                "repository", self.key(),
                lambda: self.w.write("POST", f"orgs/{self.target.org}/repos", body, what=f"create {self.name}",
                                     idempotent=False),
                lambda: self.w.read(self.path), summary=lambda r: {"id": r.get("id")})
        except WriteRefused as exc:
            # This repository's problem (a name GitHub will not take, a setting the organization
            # forbids): the restore goes on with the others.
            self.problem(f"repository not created: {exc}")
            return False
        self.count("repository")
        if self.w.fresh:  # GitHub gave the new repository its default labels: remember which
            given = [label["name"] for label in self.w.read_all(f"{self.path}/labels")]
            self.state.mark_done("default labels", self.key(), {"names": given})
        return True

    def git_command(self, argv):
        return process.run(argv, env=git_push.push_environment(self.target.files, self.target.stall_seconds),
                            idle_timeout=self.target.stall_seconds, check=False)

    def remote_refs(self, url: str) -> dict[str, str] | None:
        """The branches and tags at `url` but a temporary base a stopped run left (deleted after its pull request)."""
        result = self.git_command(git.ls_remote(url))
        refs = git.parse_ref_lines(result.stdout) if result.ok else None
        return None if refs is None else {ref: sha for ref, sha in refs.items() if not is_temporary_branch(ref)}

    def push_git(self) -> bool:
        """LFS objects first (all of them), then branches and tags; True when the refs are GitHub's now."""
        want = self.repo.refs
        if not want or not self.repo.clone.is_dir():
            return False
        url = git.repo_url(self.target.git_url, self.target.org, self.name)
        if self.remote_refs(url) == want:
            return True
        oids = sorted(p.name for p in (self.repo.clone / ".git" / "lfs" / "objects").glob("??/??/*")
                      if len(p.name) == 64)
        for start in range(0, len(oids), 200):
            result = self.git_command(git_push.lfs_push_objects(self.repo.clone, url, oids[start:start + 200]))
            if not result.ok:
                self.problem(f"LFS objects not pushed: {git.failure_reason(result.stderr or result.stdout)}")
                return False
        if oids:
            self.outcome.created["lfs objects"] += len(oids)
        result = self.git_command(git_push.push_refs(self.repo.clone, url))
        if not result.ok:
            self.problem(f"git push failed: {git.failure_reason(result.stderr or result.stdout)}")
            return False
        if self.remote_refs(url) != want:
            self.problem("after the push the repository's branches and tags are not the backup's")
            return False
        self.outcome.created["refs"] += len(want)
        return True

    def push_wiki(self) -> None:
        wiki = self.repo.wiki
        if wiki is None:
            return
        want = (self.repo.record.get("wiki") or {}).get("refs") or {}
        url = git.wiki_url(self.target.git_url, self.target.org, self.name)
        have = self.remote_refs(url)
        if have == want:
            return
        # Pushed where it has no git repository too (a host may make it then); a page saved by hand is replaced.
        result = self.git_command(git_push.push_refs(wiki, url, force=True))
        reason = git.failure_reason(result.stderr or result.stdout)
        if have is None and not result.ok and "not found" in reason.lower():  # GitHub.com
            self.problem(f"wiki not pushed: GitHub makes a wiki's git repository only when its first page is "
                         f"saved; open {self.target.web_url}/{self.target.org}/{self.name}/wiki, save a page, "
                         f"and run the same command again")
        elif not result.ok or self.remote_refs(url) != want:
            self.problem(f"wiki push failed: {reason}")
        else:
            self.outcome.created["wiki refs"] += len(want)

    def labels(self) -> None:
        """The backup's labels; a label GitHub gave the new repository is made the backup's
        (color, description) or, when the original had no such label, deleted."""
        on_github = {label["name"].lower(): label for label in self.w.read_all(f"{self.path}/labels")}
        self.remove_default_labels(on_github)
        for label in self.repo.labels:
            body = {"name": label["name"], "color": label.get("color") or "ededed",
                    "description": label.get("description") or ""}
            found = on_github.get(label["name"].lower())
            if found is not None:
                if (found.get("color"), found.get("description") or "") != (body["color"], body["description"]):
                    try:
                        self.w.write("PATCH", f"{self.path}/labels/{quote(found['name'], safe='')}",
                                     {"new_name": label["name"], "color": body["color"],
                                      "description": body["description"]}, what=f"label {label['name']}")
                    except WriteRefused as exc:
                        self.problem(f"label {label['name']!r} not updated: {exc}")
                continue
            try:
                self.w.create_once(
                    "label", self.key("label", label["name"].lower()),
                    lambda: self.w.write("POST", f"{self.path}/labels", body, what=f"label {label['name']}",
                                         idempotent=False),
                    lambda: None, summary=lambda r: {"id": r.get("id")})
                self.count("labels")
            except WriteRefused as exc:
                if exc.status != 422:
                    self.problem(f"label {label['name']!r} not created: {exc}")

    def remove_default_labels(self, on_github: dict[str, dict]) -> None:
        """Delete the labels GitHub gave the repository at its creation (recorded then; for a
        repository an older restore made, those GitHub marks `default`) that the original did
        not have, so that the restored repository has the original's labels and no others."""
        row = self.state.get("default labels", self.key())
        given = {name.lower() for name in ((row[1] or {}).get("names") or [])} if row else {
            key for key, label in on_github.items() if label.get("default")}
        wanted = {label["name"].lower() for label in self.repo.labels}
        removed = []
        for key in sorted(given - wanted):
            label = on_github.pop(key, None)
            if label is None:
                continue
            try:
                self.w.write("DELETE", f"{self.path}/labels/{quote(label['name'], safe='')}",
                             what=f"remove default label {label['name']}")
            except WriteRefused as exc:
                if exc.status != 404:
                    self.problem(f"default label {label['name']!r} not removed: {exc}")
                    continue
            removed.append(label["name"])
        if removed:
            log.info("%s/%s: removed %d labels GitHub gives a new repository that the original did not have: %s",
                     self.target.org, self.name, len(removed), ", ".join(removed))

    def create_milestones(self) -> None:
        existing = None
        for ms in self.repo.milestones:
            def find(ms=ms):
                nonlocal existing
                existing = existing if existing is not None else self.w.read_all(
                    f"{self.path}/milestones", {"state": "all"})
                return next((m for m in existing if m.get("title") == ms.get("title")), None)
            body = {"title": ms["title"], "state": ms.get("state") or "open",
                    "description": ms.get("description") or ""}
            if ms.get("due_on"):
                body["due_on"] = ms["due_on"]
            try:
                made = self.w.create_once(
                    "milestone", self.key("milestone", ms["number"]),
                    lambda: self.w.write("POST", f"{self.path}/milestones", body, what=f"milestone {ms['title']}",
                                         idempotent=False),
                    find, summary=lambda r: {"number": r.get("number")})
                self.milestones[ms["number"]] = made["number"]
                self.count("milestones")
            except WriteRefused as exc:
                self.problem(f"milestone {ms.get('title')!r} not created: {exc}")

    # ------------------------------------------------------------------ releases

    def restore_release(self, release) -> None:
        data = release.data
        tag = data.get("tag_name")
        body = {"tag_name": tag, "name": data.get("name") or "", "body": data.get("body") or "",
                "draft": bool(data.get("draft")), "prerelease": bool(data.get("prerelease"))}
        if data.get("target_commitish"):
            body["target_commitish"] = data["target_commitish"]

        def find():
            return next((r for r in self.w.read_all(f"{self.path}/releases") if r.get("tag_name") == tag), None)
        try:
            made = self.w.create_once(
                "release", self.key("release", tag),
                # target_commitish may name a branch deleted since; the tag is what counts
                lambda: self.write_dropping("POST", f"{self.path}/releases", body, ("target_commitish",),
                                            what=f"release {tag}"),
                find, summary=lambda r: {"id": r.get("id"), "upload_url": r.get("upload_url")})
            self.count("releases")
        except WriteRefused as exc:
            self.problem(f"release {tag} not created: {exc}")
            return
        for asset, path in release.assets:
            self.upload_asset(tag, made, asset, path)

    def upload_asset(self, tag: str, release: dict, asset: dict, path: Path) -> None:
        name = original_name(asset)  # GitHub's, also where the backup had to store it under another
        if not path.is_file():
            self.problem(f"release {tag}: asset {name} is not in the backup")
            return
        upload = (release.get("upload_url") or "").split("{", 1)[0]
        params = {"name": name}
        if asset.get("label"):
            params["label"] = asset["label"]

        renamed = github_asset_name(name)
        size = path.stat().st_size

        def find():
            """The asset GitHub has under this name (as GitHub renames it), when it is whole; one left
            half-done (state starter, after a 502) or of another size is deleted, to be sent again."""
            listing = self.w.read_all(f"{self.path}/releases/{release['id']}/assets")
            found = next((a for a in listing if a.get("name") in (name, renamed)), None)
            if found is None:
                return None
            if found.get("state") == "uploaded" and found.get("size") == size:
                return found
            log.info("%s/%s: release %s: asset %s is %s with %s bytes of %d: deleted, sent again", self.target.org,
                     self.name, tag, found.get("name"), found.get("state"), found.get("size"), size)
            self.w.write("DELETE", f"{self.path}/releases/assets/{found['id']}", what=f"asset {name}")
            return None

        def create():
            def send():
                return self.w.write("POST", upload, data=path.read_bytes(), params=params,
                                    content_type=asset.get("content_type") or "application/octet-stream",
                                    what=f"asset {name}", idempotent=False)
            try:
                return send()
            except WriteRefused as exc:
                if exc.status != 422:
                    raise
                # already_exists: one from an earlier attempt the state did not record
                return find() or send()
        try:
            self.w.create_once("asset", self.key("asset", tag, name), create, find,
                               summary=lambda r: {"id": r.get("id")})
            self.count("assets")
        except WriteRefused as exc:
            self.problem(f"release {tag}: asset {name} not uploaded: {exc}")

    # ------------------------------------------------------------------ access and settings

    def restore_access(self) -> None:
        for branch, protection in sorted(self.repo.protection.items()):
            if f"refs/heads/{branch}" not in self.repo.refs:
                self.problem(f"protection of {branch!r} not restored: the branch is not in the backup")
                continue
            try:
                self.w.write("PUT", f"{self.path}/branches/{branch}/protection", protection_body(protection),
                             what=f"protection of {branch}", nullable=PROTECTION_NULLABLE)
                self.outcome.created["protections"] += 1
            except WriteRefused as exc:
                self.problem(f"protection of {branch!r} not restored: {exc}")
        for person in self.repo.collaborators:
            login = person.get("login")
            try:
                self.w.write("PUT", f"{self.path}/collaborators/{login}",
                             {"permission": collaborator_permission(person)}, what=f"collaborator {login}")
                self.outcome.created["collaborators"] += 1
            except WriteRefused as exc:
                self.problem(f"collaborator @{login} not added: {exc}")

    def final_settings(self, pushed: bool) -> None:
        settings = self.repo.settings
        branch = self.settings_value("default_branch")
        if not (pushed and branch and f"refs/heads/{branch}" in self.repo.refs):
            branch = None
        body, notices = update_body(settings, branch)
        for text in notices:
            self.notice(text)
        try:
            if body:
                self.w.write("PATCH", self.path, body, what=f"settings of {self.name}")
            if self.settings_value("archived") and not self.outcome.problems:
                # Last: an archived repository takes no more writes (a rerun would need it open).
                self.w.write("PATCH", self.path, {"archived": True}, what=f"archive {self.name}")
        except WriteRefused as exc:
            self.problem(f"settings not restored: {exc}")

