"""GitHub's JSON shapes, rendered from world.json records for one request (the Ctx gives the
base URLs and the caller): users, organizations, repositories, issues, pulls, comments,
releases, ..., and the metadata's (teams, reviews, rulesets, protections, environments)."""
from __future__ import annotations

from urllib.parse import quote

from .rest import LEVELS, Ctx, node, text, user_id


def user_json(c: Ctx, login: str, kind: str = "User") -> dict:
    account = c.view.orgs.get(login.lower())
    if account is not None and account.get("type") == "User":
        kind = "User"  # a personal account of the world, whatever its caller took it for
    uid = account["id"] if account is not None and (kind == "Organization" or account.get("type") == "User") \
        else user_id(login)
    api = f"{c.api}/{'users' if kind == 'User' else 'orgs'}/{login}"
    return {"login": login, "id": uid, "node_id": node(kind, uid),
            "avatar_url": f"{c.web}/avatars/{login}", "gravatar_id": "", "url": api,
            "html_url": f"{c.web}/{login}", "repos_url": f"{api}/repos",
            "events_url": f"{api}/events", "type": kind, "site_admin": False,
            # the rest of GitHub's simple-user (its required fields: tests/contract/)
            "followers_url": f"{api}/followers", "following_url": f"{api}/following{{/other_user}}",
            "gists_url": f"{api}/gists{{/gist_id}}", "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{api}/subscriptions", "organizations_url": f"{api}/orgs",
            "received_events_url": f"{api}/received_events"}


def org_json(c: Ctx, org: dict) -> dict:
    api = f"{c.api}/orgs/{org['login']}"
    public = sum(1 for r in org["repos"].values() if not r["private"])
    return {"login": org["login"], "id": org["id"], "node_id": node("Organization", org["id"]),
            "url": api, "repos_url": f"{api}/repos", "events_url": f"{api}/events",
            "hooks_url": f"{api}/hooks", "issues_url": f"{api}/issues",
            "members_url": f"{api}/members{{/member}}",
            "public_members_url": f"{api}/public_members{{/member}}",
            "avatar_url": f"{c.web}/avatars/{org['login']}", "description": org["description"],
            "name": org["login"], "html_url": f"{c.web}/{org['login']}", "type": "Organization",
            "public_repos": public, "created_at": org["created_at"], "updated_at": org["created_at"]}


def repo_json(c: Ctx, owner: str, rec: dict) -> dict:
    full = f"{owner}/{rec['name']}"
    api = f"{c.api}/repos/{full}"
    host = c.web.split("://", 1)[1]
    out = {
        "id": rec["id"], "node_id": node("Repository", rec["id"]), "name": rec["name"],
        "full_name": full, "private": rec["private"], "owner": user_json(c, owner, "Organization"),
        "html_url": f"{c.web}/{full}", "description": rec["description"], "fork": rec["fork"],
        "url": api, "created_at": rec["created_at"], "updated_at": rec["updated_at"],
        "pushed_at": rec["pushed_at"], "git_url": f"git://{host}/{full}.git",
        "ssh_url": f"git@{host.split(':')[0]}:{full}.git", "clone_url": f"{c.web}/{full}.git",
        "svn_url": f"{c.web}/{full}", "homepage": rec["settings"]["homepage"], "size": rec["size"],
        "stargazers_count": 0, "watchers_count": 0, "language": rec["language"],
        "has_issues": rec["has_issues"], "has_projects": rec["has_projects"],
        "has_downloads": True, "has_wiki": rec["has_wiki"], "has_pages": rec["pages"] is not None,
        "has_discussions": rec["settings"]["has_discussions"], "forks_count": 0, "mirror_url": None, "archived": rec["archived"],
        "disabled": False, "open_issues_count": sum(1 for i in rec["issues"] if i["state"] == "open"),
        "license": None, "allow_forking": True, "is_template": False, "topics": rec["topics"],
        "visibility": "private" if rec["private"] else "public", "forks": 0,
        "open_issues": sum(1 for i in rec["issues"] if i["state"] == "open"), "watchers": 0,
        "default_branch": rec["default_branch"],
        "permissions": {"admin": bool(c.user and c.user["admin"]), "maintain": bool(c.user and c.user["admin"]),
                        "push": bool(c.user and c.user["admin"]), "triage": bool(c.user), "pull": True},
    }
    for key in ("forks", "keys", "collaborators", "teams", "hooks", "events", "branches", "tags",
                "languages", "stargazers", "contributors", "subscribers", "subscription",
                "commits", "issues", "pulls", "milestones", "labels", "releases", "deployments"):
        out[f"{key}_url"] = f"{api}/{key}"
    out["archive_url"] = api + "/{archive_format}{/ref}"
    out.update({  # the rest of GitHub's repository URLs (required by its description: tests/contract/)
        "assignees_url": api + "/assignees{/user}", "blobs_url": api + "/git/blobs{/sha}",
        "comments_url": api + "/comments{/number}", "compare_url": api + "/compare/{base}...{head}",
        "contents_url": api + "/contents/{+path}", "downloads_url": api + "/downloads",
        "git_commits_url": api + "/git/commits{/sha}", "git_refs_url": api + "/git/refs{/sha}",
        "git_tags_url": api + "/git/tags{/sha}", "issue_comment_url": api + "/issues/comments{/number}",
        "issue_events_url": api + "/issues/events{/number}", "merges_url": api + "/merges",
        "notifications_url": api + "/notifications{?since,all,participating}",
        "statuses_url": api + "/statuses/{sha}", "trees_url": api + "/git/trees{/sha}"})
    if rec["parent"]:
        out["parent_full_name"] = rec["parent"]
    return out


def label_json(c: Ctx, full: str, label: dict) -> dict:
    return {"id": label["id"], "node_id": node("Label", label["id"]),
            "url": f"{c.api}/repos/{full}/labels/{quote(label['name'])}", "name": label["name"],
            "color": label["color"], "default": bool(label.get("default")),
            "description": label.get("description")}


def milestone_json(c: Ctx, full: str, rec: dict, ms: dict) -> dict:
    issues = [i for i in rec["issues"] if i["milestone"] == ms["number"]]
    return {"url": f"{c.api}/repos/{full}/milestones/{ms['number']}",
            "html_url": f"{c.web}/{full}/milestone/{ms['number']}",
            "labels_url": f"{c.api}/repos/{full}/milestones/{ms['number']}/labels",
            "id": ms["id"], "node_id": node("Milestone", ms["id"]), "number": ms["number"],
            "title": ms["title"], "description": ms["description"],
            "creator": user_json(c, ms.get("creator", "alice")), "state": ms["state"],
            "open_issues": sum(1 for i in issues if i["state"] == "open"),
            "closed_issues": sum(1 for i in issues if i["state"] == "closed"),
            "created_at": ms["created_at"], "updated_at": ms["updated_at"],
            "due_on": ms["due_on"], "closed_at": ms["closed_at"]}


def _labels(c: Ctx, full: str, rec: dict, names: list) -> list:
    by_name = {label["name"]: label for label in rec["labels"]}
    return [label_json(c, full, by_name[n]) for n in names if n in by_name]


def issue_json(c: Ctx, owner: str, rec: dict, issue: dict) -> dict:
    full = f"{owner}/{rec['name']}"
    api = f"{c.api}/repos/{full}/issues/{issue['number']}"
    idx = c.view.index[rec["id"]]
    ms = next((m for m in rec["milestones"] if m["number"] == issue["milestone"]), None)
    out = {"url": api, "repository_url": f"{c.api}/repos/{full}",
           "labels_url": api + "/labels{/name}", "comments_url": f"{api}/comments",
           "events_url": f"{api}/events", "html_url": f"{c.web}/{full}/issues/{issue['number']}",
           "id": issue["id"], "node_id": node("Issue", issue["id"]), "number": issue["number"],
           "title": issue["title"], "user": user_json(c, issue["user"]),
           "labels": _labels(c, full, rec, issue["labels"]), "state": issue["state"],
           "state_reason": issue.get("state_reason", "completed" if issue["state"] == "closed" else None),
           "locked": False, "assignee": _assignees(c, issue)[0] if issue.get("assignees") else None,
           "assignees": _assignees(c, issue),
           "milestone": milestone_json(c, full, rec, ms) if ms else None,
           "comments": len(idx["comments"].get(issue["number"], [])),
           "created_at": issue["created_at"], "updated_at": issue["updated_at"],
           "closed_at": issue["closed_at"], "author_association": "MEMBER", "body": text(c, issue["body"])}
    if issue["pull"]:
        pulls = f"{c.api}/repos/{full}/pulls/{issue['number']}"
        html = f"{c.web}/{full}/pull/{issue['number']}"
        out["pull_request"] = {"url": pulls, "html_url": html, "diff_url": html + ".diff",
                               "patch_url": html + ".patch", "merged_at": issue["pull"].get("merged_at")}
        out["draft"] = bool(issue["pull"].get("draft"))
    return out


def _assignees(c: Ctx, issue: dict) -> list:
    return [user_json(c, login) for login in issue.get("assignees", [])]


def comment_json(c: Ctx, full: str, comment: dict) -> dict:
    return {"url": f"{c.api}/repos/{full}/issues/comments/{comment['id']}",
            "html_url": f"{c.web}/{full}/issues/{comment['issue']}#issuecomment-{comment['id']}",
            "issue_url": f"{c.api}/repos/{full}/issues/{comment['issue']}",
            "id": comment["id"], "node_id": node("IssueComment", comment["id"]),
            "user": user_json(c, comment["user"]), "created_at": comment["created_at"],
            "updated_at": comment["updated_at"], "author_association": "MEMBER",
            "body": text(c, comment["body"])}


def event_json(c: Ctx, full: str, event: dict) -> dict:
    out = {"id": event["id"], "node_id": node("Event", event["id"]),
           "url": f"{c.api}/repos/{full}/issues/events/{event['id']}",
           "actor": user_json(c, event["actor"]), "event": event["event"], "commit_id": None,
           "commit_url": None, "created_at": event["created_at"], "performed_via_github_app": None}
    if event["label"]:
        out["label"] = {"name": event["label"], "color": "d73a4a"}
    return out


def _branch_json(c: Ctx, owner: str, rec: dict, ref: str, sha: str) -> dict:
    return {"label": f"{owner}:{ref}", "ref": ref, "sha": sha,
            "user": user_json(c, owner, "Organization"), "repo": repo_json(c, owner, rec)}


def pull_json(c: Ctx, owner: str, rec: dict, issue: dict) -> dict:
    full = f"{owner}/{rec['name']}"
    n = issue["number"]
    pull = issue["pull"]
    api = f"{c.api}/repos/{full}/pulls/{n}"
    html = f"{c.web}/{full}/pull/{n}"
    idx = c.view.index[rec["id"]]
    ms = next((m for m in rec["milestones"] if m["number"] == issue["milestone"]), None)
    return {"url": api, "id": issue["id"] + 500_000_000, "node_id": node("PullRequest", issue["id"]),
            "html_url": html, "diff_url": html + ".diff", "patch_url": html + ".patch",
            "issue_url": f"{c.api}/repos/{full}/issues/{n}", "number": n, "state": issue["state"],
            "locked": False, "title": issue["title"], "user": user_json(c, issue["user"]),
            "body": text(c, issue["body"]), "created_at": issue["created_at"], "updated_at": issue["updated_at"],
            "closed_at": issue["closed_at"], "merged_at": pull.get("merged_at"),
            "merge_commit_sha": pull["merge_commit_sha"],
            "assignee": _assignees(c, issue)[0] if issue.get("assignees") else None,
            "assignees": _assignees(c, issue),
            "requested_reviewers": [], "requested_teams": [],
            "labels": _labels(c, full, rec, issue["labels"]),
            "milestone": milestone_json(c, full, rec, ms) if ms else None, "draft": bool(pull.get("draft")),
            "commits_url": f"{api}/commits", "review_comments_url": f"{api}/comments",
            "review_comment_url": f"{c.api}/repos/{full}/pulls/comments{{/number}}",
            "comments_url": f"{c.api}/repos/{full}/issues/{n}/comments",
            "statuses_url": f"{c.api}/repos/{full}/statuses/{pull['head_sha']}",
            "head": _branch_json(c, owner, rec, pull["head"], pull["head_sha"]),
            "base": _branch_json(c, owner, rec, pull["base"], pull["base_sha"]),
            "author_association": "MEMBER", "auto_merge": None, "active_lock_reason": None,
            "merged": pull["merged"], "mergeable": None if pull["merged"] else True,
            "rebaseable": None, "mergeable_state": "unknown",
            "merged_by": user_json(c, "alice") if pull["merged"] else None,
            "comments": len(idx["comments"].get(n, [])),
            "review_comments": len(idx["reviews"].get(n, [])), "maintainer_can_modify": False,
            "commits": len(pull["commits"]), "additions": 2 * len(pull["commits"]),
            "deletions": 0, "changed_files": 1,
            "_links": {"self": {"href": api}, "html": {"href": html},
                       "issue": {"href": f"{c.api}/repos/{full}/issues/{n}"},
                       "comments": {"href": f"{c.api}/repos/{full}/issues/{n}/comments"},
                       "review_comments": {"href": f"{api}/comments"},
                       "review_comment": {"href": f"{c.api}/repos/{full}/pulls/comments{{/number}}"},
                       "commits": {"href": f"{api}/commits"},
                       "statuses": {"href": f"{c.api}/repos/{full}/statuses/{pull['head_sha']}"}}}


def review_comment_json(c: Ctx, full: str, rc: dict) -> dict:
    return {"url": f"{c.api}/repos/{full}/pulls/comments/{rc['id']}",
            "pull_request_review_id": rc["id"] + 1, "id": rc["id"],
            "node_id": node("PullRequestReviewComment", rc["id"]),
            "diff_hunk": "@@ -0,0 +1 @@\n+line", "path": rc["path"], "position": rc["line"],
            "original_position": rc["line"], "commit_id": rc["commit_id"],
            "original_commit_id": rc["commit_id"], "user": user_json(c, rc["user"]), "body": text(c, rc["body"]),
            "created_at": rc["created_at"], "updated_at": rc["updated_at"],
            "html_url": f"{c.web}/{full}/pull/{rc['pull']}#discussion_r{rc['id']}",
            "pull_request_url": f"{c.api}/repos/{full}/pulls/{rc['pull']}",
            "author_association": "MEMBER", "line": rc["line"], "side": "RIGHT",
            "start_line": None, "original_line": rc["line"],
            "_links": {"self": {"href": f"{c.api}/repos/{full}/pulls/comments/{rc['id']}"},
                       "html": {"href": f"{c.web}/{full}/pull/{rc['pull']}#discussion_r{rc['id']}"},
                       "pull_request": {"href": f"{c.api}/repos/{full}/pulls/{rc['pull']}"}}}


def commit_json(c: Ctx, full: str, commit: dict, when: str) -> dict:
    person = {"name": "Emulator Bot", "email": "bot@emulator.invalid", "date": when}
    return {"sha": commit["sha"], "node_id": node("Commit", int(commit["sha"][:7], 16)),
            "commit": {"author": person, "committer": person, "message": commit["message"],
                       "url": f"{c.api}/repos/{full}/git/commits/{commit['sha']}", "comment_count": 0,
                       "tree": {"sha": commit.get("tree", commit["sha"]),
                                "url": f"{c.api}/repos/{full}/git/trees/{commit.get('tree', commit['sha'])}"}},
            "comments_url": f"{c.api}/repos/{full}/commits/{commit['sha']}/comments",
            "url": f"{c.api}/repos/{full}/commits/{commit['sha']}",
            "html_url": f"{c.web}/{full}/commit/{commit['sha']}", "author": None, "committer": None,
            "parents": [{"sha": p, "url": f"{c.api}/repos/{full}/commits/{p}"} for p in commit["parents"]]}


def hook_json(c: Ctx, full: str, hook: dict) -> dict:
    api = f"{c.api}/repos/{full}/hooks/{hook['id']}"
    return {"type": "Repository", "id": hook["id"], "name": hook["name"], "active": hook["active"],
            "events": hook["events"], "config": hook["config"], "updated_at": hook["updated_at"],
            "created_at": hook["created_at"], "url": api, "test_url": f"{api}/test",
            "ping_url": f"{api}/pings", "deliveries_url": f"{api}/deliveries",
            "last_response": {"code": None, "status": "unused", "message": None}}


def asset_json(c: Ctx, full: str, rel: dict, asset: dict) -> dict:
    return {"url": f"{c.api}/repos/{full}/releases/assets/{asset['id']}", "id": asset["id"],
            "node_id": node("ReleaseAsset", asset["id"]), "name": asset["name"],
            "label": asset["label"], "uploader": user_json(c, rel["author"]),
            "content_type": asset["content_type"], "state": asset.get("state", "uploaded"), "size": asset["size"],
            "download_count": asset["download_count"], "created_at": asset["created_at"],
            "updated_at": asset["updated_at"],
            "digest": f"sha256:{asset['sha256']}" if asset.get("sha256") else None,
            "browser_download_url": f"{c.web}/{full}/releases/download/{rel['tag_name']}/{asset['name']}"}


def release_json(c: Ctx, full: str, rel: dict) -> dict:
    api = f"{c.api}/repos/{full}/releases/{rel['id']}"
    host = c.web.split("://", 1)[1]
    return {"url": api, "assets_url": f"{api}/assets",
            "upload_url": f"https://{host}/api/uploads/repos/{full}/releases/{rel['id']}/assets{{?name,label}}",
            "html_url": f"{c.web}/{full}/releases/tag/{rel['tag_name']}", "id": rel["id"],
            "author": user_json(c, rel["author"]), "node_id": node("Release", rel["id"]),
            "tag_name": rel["tag_name"], "target_commitish": rel["target_commitish"],
            "name": rel["name"], "draft": rel["draft"], "prerelease": rel["prerelease"],
            "created_at": rel["created_at"], "published_at": rel["published_at"],
            "assets": [asset_json(c, full, rel, a) for a in rel["assets"]],
            "tarball_url": f"{c.api}/repos/{full}/tarball/{rel['tag_name']}",
            "zipball_url": f"{c.api}/repos/{full}/zipball/{rel['tag_name']}", "body": text(c, rel["body"])}


# ------------------------------------------------------------------------ metadata


MERGE_KEYS = ("allow_merge_commit", "allow_squash_merge", "allow_rebase_merge", "allow_auto_merge",
              "delete_branch_on_merge", "web_commit_signoff_required")


def permissions_json(permission: str) -> dict:
    level = LEVELS.index(permission)
    return {"admin": level >= 4, "maintain": level >= 3, "push": level >= 2, "triage": level >= 1, "pull": True}


def repo_full_json(c: Ctx, owner: str, rec: dict) -> dict:
    """GET /repos/{o}/{r}: the listing's object plus what GitHub shows only there."""
    out = repo_json(c, owner, rec)
    settings = rec["settings"]
    out.update({k: settings[k] for k in MERGE_KEYS})
    out.update(allow_update_branch=False, use_squash_pr_title_as_default=False,
               squash_merge_commit_title="COMMIT_OR_PR_TITLE", squash_merge_commit_message="COMMIT_MESSAGES",
               merge_commit_title="MERGE_MESSAGE", merge_commit_message="PR_TITLE",
               network_count=0, subscribers_count=0,
               organization=user_json(c, owner, "Organization"))
    if c.user and c.user["admin"]:
        out["security_and_analysis"] = settings["security_and_analysis"]
    return out


def team_json(c: Ctx, org: dict, team: dict, *, with_parent: bool = True) -> dict:
    api = f"{c.api}/orgs/{org['login']}/teams/{team['slug']}"
    out = {"id": team["id"], "node_id": node("Team", team["id"]), "url": api,
           "html_url": f"{c.web}/orgs/{org['login']}/teams/{team['slug']}", "name": team["name"],
           "slug": team["slug"], "description": team["description"], "privacy": team["privacy"],
           "notification_setting": team.get("notification_setting", "notifications_enabled"), "permission": "pull",
           "members_url": api + "/members{/member}", "repositories_url": api + "/repos",
           "type": "organization"}
    if with_parent:
        parent = next((t for t in org["teams"] if t["slug"] == team["parent"]), None)
        out["parent"] = team_json(c, org, parent, with_parent=False) if parent else None
    else:
        out["parent"] = None  # a team as another's parent: GitHub's nested team-simple has it too
    return out


def review_json(c: Ctx, full: str, review: dict) -> dict:
    html = f"{c.web}/{full}/pull/{review['pull']}#pullrequestreview-{review['id']}"
    pull = f"{c.api}/repos/{full}/pulls/{review['pull']}"
    return {"id": review["id"], "node_id": node("PullRequestReview", review["id"]),
            "user": user_json(c, review["user"]), "body": text(c, review["body"]), "state": review["state"],
            "html_url": html, "pull_request_url": pull, "author_association": "MEMBER",
            "_links": {"html": {"href": html}, "pull_request": {"href": pull}},
            "submitted_at": review["submitted_at"], "commit_id": review["commit_id"]}


def commit_comment_json(c: Ctx, full: str, comment: dict) -> dict:
    return {"html_url": f"{c.web}/{full}/commit/{comment['commit_id']}#commitcomment-{comment['id']}",
            "url": f"{c.api}/repos/{full}/comments/{comment['id']}", "id": comment["id"],
            "node_id": node("CommitComment", comment["id"]), "body": text(c, comment["body"]),
            "path": comment["path"], "position": comment["line"], "line": comment["line"],
            "commit_id": comment["commit_id"], "user": user_json(c, comment["user"]),
            "created_at": comment["created_at"], "updated_at": comment["updated_at"],
            "author_association": "MEMBER"}


def ruleset_json(c: Ctx, ruleset: dict, source_type: str, source: str, *, full: bool) -> dict:
    if source_type == "Repository":
        api, html = f"{c.api}/repos/{source}/rulesets/{ruleset['id']}", f"{c.web}/{source}/rules/{ruleset['id']}"
    else:
        api = f"{c.api}/orgs/{source}/rulesets/{ruleset['id']}"
        html = f"{c.web}/organizations/{source}/settings/rules/{ruleset['id']}"
    out = {"id": ruleset["id"], "name": ruleset["name"], "target": ruleset["target"],
           "source_type": source_type, "source": source, "enforcement": ruleset["enforcement"],
           "node_id": node("RepositoryRuleset", ruleset["id"]),
           "_links": {"self": {"href": api}, "html": {"href": html}},
           "created_at": ruleset["created_at"], "updated_at": ruleset["updated_at"]}
    if full:
        admin = bool(c.user and c.user["admin"])
        out.update(conditions=ruleset["conditions"], rules=ruleset["rules"],
                   current_user_can_bypass="always" if admin else "never")
        if admin:  # GitHub shows bypass actors only to those who may edit the ruleset
            out["bypass_actors"] = ruleset["bypass_actors"]
    return out


def _actors_json(c: Ctx, org_login: str, actors: dict, url: str | None = None) -> dict:
    """{users, teams, apps} as stored (logins, team slugs, app slugs) -> GitHub's objects."""
    org = c.view.find_org(org_login) or {"teams": [], "login": org_login}
    teams = {t["slug"]: t for t in org.get("teams", [])}
    out = {}
    if url:
        out.update(url=url, users_url=f"{url}/users", teams_url=f"{url}/teams")
    out["users"] = [user_json(c, login) for login in actors.get("users", [])]
    out["teams"] = [team_json(c, org, teams[slug], with_parent=False) for slug in actors.get("teams", [])
                    if slug in teams]
    if "apps" in actors:
        if url:
            out["apps_url"] = f"{url}/apps"
        out["apps"] = [{"slug": slug, "name": slug, "id": user_id("app:" + slug), "node_id": node("App", user_id("app:" + slug)),
                        "owner": user_json(c, org_login, "Organization") if org_login.lower() in c.view.orgs else None}
                       for slug in actors["apps"]]
    return out


def protection_json(c: Ctx, full: str, branch: str, protection: dict) -> dict:
    api = f"{c.api}/repos/{full}/branches/{branch}/protection"
    owner = full.split("/")[0]
    out = {"url": api}
    for key, value in protection.items():
        value = dict(value) if isinstance(value, dict) else value
        if key in ("required_status_checks", "required_pull_request_reviews", "required_signatures",
                   "enforce_admins"):
            value["url"] = f"{api}/{key}"
        if key == "required_status_checks":
            value["contexts_url"] = f"{api}/required_status_checks/contexts"
        if key == "required_pull_request_reviews":
            if "dismissal_restrictions" in value:
                value["dismissal_restrictions"] = _actors_json(
                    c, owner, value["dismissal_restrictions"], f"{api}/dismissal_restrictions")
            if "bypass_pull_request_allowances" in value:
                value["bypass_pull_request_allowances"] = _actors_json(
                    c, owner, value["bypass_pull_request_allowances"])
        if key == "restrictions":
            value = _actors_json(c, owner, value, f"{api}/restrictions")
        out[key] = value
    return out


def environment_json(c: Ctx, login: str, rec: dict, env: dict) -> dict:
    full = f"{login}/{rec['name']}"
    org = c.view.find_org(login)
    rules = []
    for rule in env["protection_rules"]:
        out = {"id": rule["id"], "node_id": node("ProtectionRule", rule["id"]), "type": rule["type"]}
        if rule["type"] == "wait_timer":
            out["wait_timer"] = rule["wait_timer"]
        else:
            out["prevent_self_review"] = rule.get("prevent_self_review", False)
            out["reviewers"] = [
                {"type": "User", "reviewer": user_json(c, r["login"])} if r["type"] == "User" else
                {"type": "Team", "reviewer": team_json(c, org, next(t for t in org["teams"] if t["slug"] == r["slug"]),
                                                       with_parent=False)}
                for r in rule["reviewers"]]
        rules.append(out)
    return {"id": env["id"], "node_id": node("Environment", env["id"]), "name": env["name"],
            "url": f"{c.api}/repos/{full}/environments/{env['name']}",
            "html_url": f"{c.web}/{full}/deployments/activity_log?environments_filter={env['name']}",
            "created_at": env["created_at"], "updated_at": env["updated_at"], "can_admins_bypass": True,
            "protection_rules": rules, "deployment_branch_policy": env["deployment_branch_policy"]}


APP_PERMISSIONS = {"contents": "read", "issues": "read", "metadata": "read", "pull_requests": "read",
                   "administration": "read", "members": "read"}
APP_CREATED = "2024-01-01T00:00:00Z"


def app_json(c: Ctx, app_id: int, slug: str, owner_login: str) -> dict:
    """GET /app: GitHub's integration shape (its required fields: tests/contract/)."""
    return {"id": app_id, "slug": slug, "node_id": node("Integration", app_id),
            "owner": user_json(c, owner_login, "Organization"), "name": "orgbackup emulator",
            "description": None, "external_url": f"{c.web}/{owner_login}", "html_url": f"{c.web}/apps/{slug}",
            "created_at": APP_CREATED, "updated_at": APP_CREATED, "permissions": dict(APP_PERMISSIONS),
            "events": []}


def installation_json(c: Ctx, installation_id: int, app_id: int, slug: str, org: dict) -> dict:
    """GET /orgs/{org}/installation: GitHub's installation shape."""
    return {"id": installation_id, "app_id": app_id, "app_slug": slug,
            "account": user_json(c, org["login"], "Organization"), "target_id": org["id"],
            "target_type": "Organization", "repository_selection": "all", "single_file_name": None,
            "access_tokens_url": f"{c.api}/app/installations/{installation_id}/access_tokens",
            "repositories_url": f"{c.api}/installation/repositories",
            "html_url": f"{c.web}/organizations/{org['login']}/settings/installations/{installation_id}",
            "permissions": dict(APP_PERMISSIONS), "events": [], "created_at": APP_CREATED,
            "updated_at": APP_CREATED, "suspended_by": None, "suspended_at": None}
