"""The default world's metadata: the organization (settings, members, teams, hooks, rulesets,
variables, secrets, projects) and godot's (settings, access, protection, rulesets, keys,
environments, reviews, commit comments, discussions, attachments)."""
from __future__ import annotations

import base64

from .builder import DAY, ORG, OUTSIDE, T0, Builder, default_settings, git, iso

# ------------------------------------------------------- organization metadata


def _ruleset(b: Builder, name: str, conditions: dict, rules: list, bypass: list) -> dict:
    when = iso(b.tick())
    return {"id": b.new_id(), "name": name, "target": "branch", "enforcement": "active",
            "conditions": conditions, "rules": rules, "bypass_actors": bypass,
            "created_at": when, "updated_at": when}


def variable(b: Builder, name: str, value: str | None, visibility: str | None = None) -> dict:
    when = iso(b.tick())
    out = {"name": name, "created_at": when, "updated_at": when}
    if value is not None:
        out["value"] = value
    if visibility:
        out["visibility"] = visibility
    return out


def png(b: Builder, size: int) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b.random_bytes(size)


def build_org_metadata(b: Builder) -> None:
    org = b.org(ORG)
    org["settings"] = {"billing_email": "billing@v-sekai.invalid", "default_repository_permission": "read",
                       "members_can_create_repositories": False, "two_factor_requirement_enabled": True,
                       "blog": "https://v-sekai.invalid", "location": "The Internet",
                       "email": "team@v-sekai.invalid"}
    org["members"] = [{"login": "alice", "role": "admin"}, {"login": "bob", "role": "member"},
                      {"login": "carol", "role": "member"}]
    org["outside_collaborators"] = [OUTSIDE]
    org["teams"] = [
        {"id": b.new_id(), "slug": "engineering", "name": "Engineering", "description": "Everyone who builds",
         "privacy": "closed", "parent": None,
         "members": [{"login": "alice", "role": "maintainer"}, {"login": "bob", "role": "member"}],
         "repos": {"godot": "push", "game": "push", "private-tools": "pull"}},
        {"id": b.new_id(), "slug": "rendering", "name": "Rendering", "description": "The renderer",
         "privacy": "closed", "parent": "engineering",
         "members": [{"login": "carol", "role": "member"}], "repos": {"godot": "maintain"}},
        {"id": b.new_id(), "slug": "docs-team", "name": "Docs team", "description": "Documentation",
         "privacy": "closed", "parent": None,
         "members": [{"login": "carol", "role": "maintainer"}],
         "repos": {"docs": "admin", "v-sekai.github.io": "triage"}}]
    org["org_hooks"] = [
        {"id": b.new_id(), "name": "web", "active": True, "events": ["push", "repository"],
         "config": {"url": "https://audit.example.invalid/org-hook", "content_type": "json", "insecure_ssl": "0"},
         "created_at": iso(b.tick()), "updated_at": iso(b.clock())},
        {"id": b.new_id(), "name": "web", "active": False, "events": ["member", "team"],
         "config": {"url": "https://chat.example.invalid/org-hook", "content_type": "form", "insecure_ssl": "0"},
         "created_at": iso(b.tick()), "updated_at": iso(b.clock())}]
    org["rulesets"] = [_ruleset(
        b, "Protect default branches",
        {"ref_name": {"include": ["~DEFAULT_BRANCH"], "exclude": []},
         "repository_name": {"include": ["godot", "godot-fork"], "exclude": [], "protected": False}},
        [{"type": "deletion"}, {"type": "non_fast_forward"}],
        [{"actor_id": 1, "actor_type": "OrganizationAdmin", "bypass_mode": "always"}])]
    org["variables"] = [variable(b, "DEPLOY_ENV", "production", "all"),
                        dict(variable(b, "GODOT_VERSION", "4.2", "selected"),  # for these repositories only
                             selected_repository_ids=[org["repos"][n]["id"] for n in ("godot", "game")])]
    org["secrets"] = [variable(b, "SIGNING_KEY", None, "all"), variable(b, "DOCKER_PASSWORD", None, "private")]
    org["projects"] = [_roadmap_project(b), _website_project(b)]


def _field(b: Builder, prefix: str, name: str, data_type: str, **extra) -> dict:
    return {"id": f"{prefix}_{b.new_id()}", "name": name, "dataType": data_type, **extra}


def project_item(b: Builder, kind: str, content: dict, values: dict, archived: bool = False) -> dict:
    when = iso(b.tick())
    return {"id": f"PVTI_{b.new_id()}", "type": kind, "isArchived": archived, "createdAt": when,
            "updatedAt": when, "content": content, "values": values}


def draft_issue(b: Builder, title: str, body: str, creator: str) -> dict:
    return {"id": f"DI_{b.new_id()}", "title": title, "body": body, "creator": creator}


def _roadmap_project(b: Builder) -> dict:
    status = _field(b, "PVTSSF", "Status", "SINGLE_SELECT", options=[
        {"id": f"{b.new_id():08x}", "name": n, "color": c, "description": d}
        for n, c, d in (("Todo", "GRAY", "Not started"), ("In Progress", "YELLOW", "Being worked on"),
                        ("Done", "GREEN", "Finished"))])
    start = T0 + 10 * DAY
    sprint = _field(b, "PVTIF", "Sprint", "ITERATION", configuration={
        "duration": 14, "startDay": 1,
        "iterations": [{"id": f"{b.new_id():08x}", "title": f"Sprint {k + 1}",
                        "startDate": iso(start + k * 14 * DAY)[:10], "duration": 14} for k in range(2)]})
    title, notes = _field(b, "PVTF", "Title", "TITLE"), _field(b, "PVTF", "Notes", "TEXT")
    estimate, due = _field(b, "PVTF", "Estimate", "NUMBER"), _field(b, "PVTF", "Due", "DATE")
    opt = {o["name"]: o["id"] for o in status["options"]}
    its = [i["id"] for i in sprint["configuration"]["iterations"]]
    when = iso(b.tick())
    project = {"id": f"PVT_{b.new_id()}", "number": 1, "title": "Roadmap",
               "shortDescription": "What comes next", "readme": "# Roadmap\nThe plan for 2024.",
               "public": True, "closed": False, "createdAt": when, "updatedAt": when, "creator": "alice",
               "fields": [title, status, notes, estimate, due, sprint], "items": []}
    project["items"] = [
        project_item(b, "ISSUE", {"repo": "godot", "number": 1},
                     {status["id"]: opt["In Progress"], estimate["id"]: 3, sprint["id"]: its[0], notes["id"]: "Crash"}),
        project_item(b, "PULL_REQUEST", {"repo": "godot", "number": 7},
                     {status["id"]: opt["Todo"], due["id"]: "2024-01-15", sprint["id"]: its[1]}),
        project_item(b, "DRAFT_ISSUE", draft_issue(b, "Plan the 5.0 release", "Collect ideas here.", "alice"),
                     {status["id"]: opt["Todo"], notes["id"]: "Draft only", estimate["id"]: 8.5}),
        project_item(b, "ISSUE", {"repo": "game", "number": 1}, {status["id"]: opt["Done"], due["id"]: "2023-12-01"}),
    ]
    project["updatedAt"] = iso(b.clock())
    return project


def _website_project(b: Builder) -> dict:
    title = _field(b, "PVTF", "Title", "TITLE")
    priority = _field(b, "PVTSSF", "Priority", "SINGLE_SELECT", options=[
        {"id": f"{b.new_id():08x}", "name": n, "color": c, "description": ""}
        for n, c in (("High", "RED"), ("Low", "BLUE"))])
    when = iso(b.tick())
    project = {"id": f"PVT_{b.new_id()}", "number": 2, "title": "Website", "shortDescription": "",
               "readme": "", "public": False, "closed": True, "createdAt": when, "updatedAt": when,
               "creator": "carol", "fields": [title, priority], "items": []}
    project["items"] = [
        project_item(b, "ISSUE", {"repo": "docs", "number": 1}, {priority["id"]: priority["options"][1]["id"]}),
        project_item(b, "DRAFT_ISSUE", draft_issue(b, "New landing page", "", "carol"),
                     {priority["id"]: priority["options"][0]["id"]}, archived=True),
    ]
    project["updatedAt"] = iso(b.clock())
    return project


# ---------------------------------------------------------- repository metadata


def _ssh_key(b: Builder) -> str:
    """Key-shaped text made from the seeded generator (not a real key pair)."""
    blob = b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + b.random_bytes(32)
    return "ssh-ed25519 " + base64.b64encode(blob).decode()


def _protection() -> dict:
    return {"required_status_checks": {"strict": True, "contexts": ["ci/build"],
                                       "checks": [{"context": "ci/build", "app_id": None}]},
            "enforce_admins": {"enabled": True},
            "required_pull_request_reviews": {"dismiss_stale_reviews": True, "require_code_owner_reviews": False,
                                              "require_last_push_approval": False,
                                              "required_approving_review_count": 1},
            "required_signatures": {"enabled": False}, "required_linear_history": {"enabled": True},
            "allow_force_pushes": {"enabled": False}, "allow_deletions": {"enabled": False},
            "block_creations": {"enabled": False}, "required_conversation_resolution": {"enabled": True},
            "lock_branch": {"enabled": False}, "allow_fork_syncing": {"enabled": False}}


def build_godot_metadata(b: Builder) -> None:
    rec = b.world["orgs"][ORG]["repos"]["godot"]
    full = f"{ORG}/godot"
    by_number = {i["number"]: i for i in rec["issues"]}
    rec["topics"] = ["game-engine", "vr"]
    rec["settings"] = dict(default_settings(), homepage="https://v-sekai.invalid/godot", has_discussions=True,
                           allow_merge_commit=False, allow_auto_merge=True, delete_branch_on_merge=True,
                           web_commit_signoff_required=True,
                           security_and_analysis={"secret_scanning": {"status": "enabled"},
                                                  "secret_scanning_push_protection": {"status": "enabled"},
                                                  "dependabot_security_updates": {"status": "disabled"}})
    rec["collaborators"] = [{"login": "alice", "permission": "admin"}, {"login": "bob", "permission": "push"},
                            {"login": OUTSIDE, "permission": "triage"}]
    rec["protected_branches"] = {"main": _protection()}
    rec["repo_rulesets"] = [_ruleset(
        b, "Release tags", {"ref_name": {"include": ["refs/tags/v*"], "exclude": []}},
        [{"type": "deletion"}, {"type": "update", "parameters": {"update_allows_fetch_and_merge": False}}],
        [{"actor_id": 5, "actor_type": "RepositoryRole", "bypass_mode": "pull_request"}])]
    rec["repo_rulesets"][0]["target"] = "tag"
    rec["deploy_keys"] = [{"id": b.new_id(), "title": title, "key": _ssh_key(b), "read_only": ro,
                           "created_at": iso(b.tick())} for title, ro in (("ci-readonly", True), ("release-bot", False))]
    rec["environments"] = [
        {"id": b.new_id(), "name": "production", "created_at": iso(b.tick()), "updated_at": iso(b.clock()),
         "protection_rules": [{"id": b.new_id(), "type": "wait_timer", "wait_timer": 5},
                              {"id": b.new_id(), "type": "required_reviewers", "prevent_self_review": False,
                               "reviewers": [{"type": "User", "login": "alice"},
                                             {"type": "Team", "slug": "engineering"}]}],
         "deployment_branch_policy": {"protected_branches": True, "custom_branch_policies": False},
         "variables": [variable(b, "DEPLOY_URL", "https://deploy.v-sekai.invalid")]},
        {"id": b.new_id(), "name": "staging", "created_at": iso(b.tick()), "updated_at": iso(b.clock()),
         "protection_rules": [], "deployment_branch_policy": None, "variables": []}]
    rec["variables"] = [variable(b, "BUILD_FLAGS", "-O2"), variable(b, "SCONS_CACHE", "/cache")]
    rec["secrets"] = [variable(b, "RELEASE_TOKEN", None), variable(b, "SENTRY_DSN", None)]
    rec["autolinks"] = [{"id": b.new_id(), "key_prefix": "GH-", "url_template": "https://github.com/godotengine/godot/issues/<num>",
                         "is_alphanumeric": False},
                        {"id": b.new_id(), "key_prefix": "JIRA-", "url_template": "https://jira.example.invalid/browse/JIRA-<num>",
                         "is_alphanumeric": True}]

    # reviews of each state; bodies of an issue and a release link attachments
    for n, user, state, body in ((3, "alice", "APPROVED", "Looks good."),
                                 (7, "bob", "CHANGES_REQUESTED", "Please add a test."),
                                 (7, "carol", "COMMENTED", "A question inline."),
                                 (11, "alice", "COMMENTED", ""), (15, "carol", "APPROVED", "")):
        b.review(rec, by_number[n], user, state, body)
    shot = b.attachment(full, "crash.png", "image/png", png(b, 3000))
    by_number[2]["body"] = f"Body of {by_number[2]['title']}.\n\n{shot}\n"
    log = b.attachment(full, "build-log.txt", "text/plain", b"build log\n" * 200, as_file=True)
    release = next(r for r in rec["releases"] if r["tag_name"] == "v1.1")
    release["body"] = f"Notes for v1.1.\n\nFull build log: {log}\n"

    # commit comments, one with an attachment
    heads = [git(b.git_dir(ORG, "godot"), "rev-parse", f"main~{k}").strip() for k in range(3)]
    b.commit_comment(rec, heads[2], "alice", "Nice refactor.")
    b.commit_comment(rec, heads[1], "bob", "This line needs a comment.", "core/module_4.cpp", 1)
    diagram = b.attachment(full, "diagram.png", "image/png", png(b, 2000))
    b.commit_comment(rec, heads[0], "carol", f"See the diagram:\n\n{diagram}\n")

    # discussions in two categories: one answered, comments with replies, one comment with an attachment
    rec["discussion_categories"] = [
        {"id": f"DIC_{b.new_id()}", "name": "Q&A", "slug": "q-a", "emoji": ":pray:",
         "description": "Ask the community for help", "isAnswerable": True},
        {"id": f"DIC_{b.new_id()}", "name": "General", "slug": "general", "emoji": ":speech_balloon:",
         "description": "Chat about anything", "isAnswerable": False}]
    q1 = b.discussion(rec, "How do I build on Linux?", "scons fails for me.", "bob", "q-a", ["bug"])
    first = b.discussion_comment(q1, "Which compiler?", "alice")
    b.discussion_comment(q1, "gcc 13", "bob", reply_to=first)
    b.discussion_comment(q1, "Then try clang.", "alice", reply_to=first)
    answer = b.discussion_comment(q1, "Install the dev packages first.", "carol")
    q1["answer"], q1["answerChosenAt"], q1["answerChosenBy"] = answer["id"], iso(b.tick()), "bob"
    q2 = b.discussion(rec, "Is VR on Quest supported?", "Asking for a friend.", "carol", "q-a")
    b.discussion_comment(q2, "Not yet.", "alice")
    g1 = b.discussion(rec, "Welcome!", "Introduce yourself here.", "alice", "general")
    pic = b.attachment(full, "avatar.png", "image/png", png(b, 1500))
    c1 = b.discussion_comment(g1, f"Hi, I am bob.\n\n{pic}\n", "bob")
    b.discussion_comment(g1, "Welcome bob!", "alice", reply_to=c1)
    g2 = b.discussion(rec, "Old announcement", "This is locked.", "alice", "general")
    g2.update(closed=True, closedAt=iso(b.tick()), locked=True)


def build_other_metadata(b: Builder) -> None:
    repos = b.world["orgs"][ORG]["repos"]
    io = repos["v-sekai.github.io"]
    io["settings"]["homepage"] = "https://v-sekai.github.io"
    io["pages"] = {"status": "built", "cname": None, "source": {"branch": "main", "path": "/"},
                   "build_type": "legacy", "https_enforced": True}
    tools = repos["private-tools"]
    secret = b.attachment(f"{ORG}/private-tools", "internal.png", "image/png", png(b, 2500))
    issue = b.issue(tools, "Internal tooling plan", user="alice")
    issue["body"] = f"Only for members.\n\n{secret}\n"
