"""The table of the REST endpoints (reads and writes): method, path template, handler; and
match(), which finds the handler of a request. Add an endpoint by adding its handler and a line
here; the handler's name is the route's name in Emulator.routes()."""
from __future__ import annotations

import re

from .rest_metadata import (get_branch_protection, get_org_ruleset, get_org_team, get_pages, get_repo_ruleset,
                            list_autolinks, list_collaborators, list_commit_comments, list_deploy_keys,
                            list_environment_variables, list_environments, list_org_hooks, list_org_members,
                            list_org_rulesets, list_org_secrets, list_org_teams, list_org_variable_repositories,
                            list_org_variables,
                            list_outside_collaborators, list_pull_reviews, list_repo_rulesets,
                            list_repo_secrets, list_repo_teams, list_repo_variables, list_team_members,
                            list_team_repos)
from .rest_reads import (get_asset, get_issue, get_org, get_pull, get_rate_limit, get_release, get_repo,
                         get_user, get_user_by_login, list_account_nothing, list_branches, list_hooks,
                         list_issue_comments, list_issue_events, list_issues, list_labels, list_milestones,
                         list_org_repos, list_own_repos, list_pull_commits, list_user_repos, list_pulls, list_refs, list_release_assets,
                         list_releases, list_repo_issue_comments, list_repo_issue_events,
                         list_repo_review_comments, list_review_comments, list_tags)
from .gists import get_gist, list_own_gists, list_user_gists
from .rest_writes import (create_label, delete_label, update_label, create_milestone, create_org_repo, create_release, delete_asset,
                          replace_topics, update_milestone, update_repo, upload_asset)
from .rest_writes_access import add_collaborator, set_branch_protection
from .rest_writes_settings import (create_autolink, create_deploy_key, create_repo_variable, create_webhook,
                                   update_repo_variable)
from .rest_writes_refs import create_ref, delete_ref
from .rest_writes_environments import (create_environment_variable, create_or_update_environment,
                                       create_repo_ruleset, update_environment_variable)
from .rest_writes_org import (create_org_hook, create_org_ruleset, create_org_variable, create_team,
                              set_team_membership, set_team_repository, update_org_variable)
from .rest_writes_issues import (create_issue, create_issue_comment, create_pull, create_review,
                                 create_review_comment, create_review_comment_reply, update_issue, update_pull)

R = "/repos/{owner}/{repo}"
ROUTES = [
    ("GET", "/user", get_user),
    ("GET", "/rate_limit", get_rate_limit),
    ("GET", "/users/{user}", get_user_by_login),
    ("GET", "/orgs/{org}", get_org),
    ("GET", "/orgs/{org}/repos", list_org_repos),
    ("GET", "/orgs/{org}/members", list_org_members),
    ("GET", "/orgs/{org}/outside_collaborators", list_outside_collaborators),
    ("GET", "/orgs/{org}/teams", list_org_teams),
    ("GET", "/orgs/{org}/teams/{slug}", get_org_team),
    ("GET", "/orgs/{org}/teams/{slug}/members", list_team_members),
    ("GET", "/orgs/{org}/teams/{slug}/repos", list_team_repos),
    ("GET", "/orgs/{org}/hooks", list_org_hooks),
    ("GET", "/orgs/{org}/rulesets", list_org_rulesets),
    ("GET", "/orgs/{org}/rulesets/{id}", get_org_ruleset),
    ("GET", "/orgs/{org}/actions/variables", list_org_variables),
    ("GET", "/orgs/{org}/actions/variables/{name}/repositories", list_org_variable_repositories),
    ("GET", "/orgs/{org}/actions/secrets", list_org_secrets),
    ("GET", "/users/{user}/repos", list_user_repos),
    ("GET", "/user/repos", list_own_repos),
    ("GET", "/gists", list_own_gists),
    ("GET", "/users/{user}/gists", list_user_gists),
    ("GET", "/gists/{gist_id}", get_gist),
    ("GET", "/users/{user}/starred", list_account_nothing),
    ("GET", "/users/{user}/subscriptions", list_account_nothing),
    ("GET", "/users/{user}/followers", list_account_nothing),
    ("GET", "/users/{user}/following", list_account_nothing),
    ("GET", R, get_repo),
    ("GET", R + "/issues", list_issues),
    ("GET", R + "/issues/comments", list_repo_issue_comments),
    ("GET", R + "/issues/events", list_repo_issue_events),
    ("GET", R + "/issues/{number}", get_issue),
    ("GET", R + "/issues/{number}/comments", list_issue_comments),
    ("GET", R + "/issues/{number}/events", list_issue_events),
    ("GET", R + "/pulls", list_pulls),
    ("GET", R + "/pulls/comments", list_repo_review_comments),
    ("GET", R + "/pulls/{number}", get_pull),
    ("GET", R + "/pulls/{number}/comments", list_review_comments),
    ("GET", R + "/pulls/{number}/commits", list_pull_commits),
    ("GET", R + "/pulls/{number}/reviews", list_pull_reviews),
    ("GET", R + "/comments", list_commit_comments),
    ("GET", R + "/collaborators", list_collaborators),
    ("GET", R + "/teams", list_repo_teams),
    ("GET", R + "/branches/{branch:path}/protection", get_branch_protection),
    ("GET", R + "/rulesets", list_repo_rulesets),
    ("GET", R + "/rulesets/{id}", get_repo_ruleset),
    ("GET", R + "/keys", list_deploy_keys),
    ("GET", R + "/environments", list_environments),
    ("GET", R + "/environments/{name}/variables", list_environment_variables),
    ("GET", R + "/actions/variables", list_repo_variables),
    ("GET", R + "/actions/secrets", list_repo_secrets),
    ("GET", R + "/autolinks", list_autolinks),
    ("GET", R + "/pages", get_pages),
    ("GET", R + "/milestones", list_milestones),
    ("GET", R + "/labels", list_labels),
    ("GET", R + "/hooks", list_hooks),
    ("GET", R + "/releases", list_releases),
    ("GET", R + "/releases/{id}", get_release),
    ("GET", R + "/releases/{id}/assets", list_release_assets),
    ("GET", R + "/releases/assets/{id}", get_asset),
    ("GET", R + "/git/refs", list_refs),
    ("GET", R + "/git/refs/{prefix:path}", list_refs),
    ("GET", R + "/branches", list_branches),
    ("GET", R + "/tags", list_tags),
]
WRITE_ROUTES = [
    ("POST", "/orgs/{org}/repos", create_org_repo),
    ("PATCH", R, update_repo),
    ("PUT", R + "/topics", replace_topics),
    ("POST", R + "/labels", create_label),
    ("PATCH", R + "/labels/{label}", update_label),
    ("DELETE", R + "/labels/{label}", delete_label),
    ("POST", R + "/milestones", create_milestone),
    ("PATCH", R + "/milestones/{number}", update_milestone),
    ("POST", R + "/issues", create_issue),
    ("PATCH", R + "/issues/{number}", update_issue),
    ("POST", R + "/issues/{number}/comments", create_issue_comment),
    ("POST", R + "/pulls", create_pull),
    ("PATCH", R + "/pulls/{number}", update_pull),
    ("POST", R + "/pulls/{number}/reviews", create_review),
    ("POST", R + "/pulls/{number}/comments", create_review_comment),
    ("POST", R + "/pulls/{number}/comments/{comment_id}/replies", create_review_comment_reply),
    ("POST", R + "/releases", create_release),
    ("POST", R + "/releases/{id}/assets", upload_asset),   # only on the uploads host
    ("DELETE", R + "/releases/assets/{id}", delete_asset),
    ("PUT", R + "/branches/{branch:path}/protection", set_branch_protection),
    ("PUT", R + "/collaborators/{username}", add_collaborator),
    ("POST", R + "/actions/variables", create_repo_variable),
    ("PATCH", R + "/actions/variables/{name}", update_repo_variable),
    ("POST", R + "/autolinks", create_autolink),
    ("POST", R + "/keys", create_deploy_key),
    ("POST", R + "/hooks", create_webhook),
    ("POST", R + "/git/refs", create_ref),
    ("DELETE", R + "/git/refs/{ref:path}", delete_ref),
    ("PUT", R + "/environments/{name}", create_or_update_environment),
    ("POST", R + "/environments/{name}/variables", create_environment_variable),
    ("PATCH", R + "/environments/{name}/variables/{variable}", update_environment_variable),
    ("POST", R + "/rulesets", create_repo_ruleset),
    ("POST", "/orgs/{org}/teams", create_team),
    ("PUT", "/orgs/{org}/teams/{slug}/memberships/{username}", set_team_membership),
    ("PUT", "/orgs/{org}/teams/{slug}/repos/{owner}/{repo}", set_team_repository),
    ("POST", "/orgs/{org}/actions/variables", create_org_variable),
    ("PATCH", "/orgs/{org}/actions/variables/{name}", update_org_variable),
    ("POST", "/orgs/{org}/rulesets", create_org_ruleset),
    ("POST", "/orgs/{org}/hooks", create_org_hook),
]


def _compile(template: str):
    def group(m):
        name, _, kind = m.group(1).partition(":")
        body = r"\d+" if name in ("number", "id") else (".+" if kind == "path" else "[^/]+")
        return f"(?P<{name}>{body})"
    return re.compile("^" + re.sub(r"\{([^}]+)\}", group, template) + "/?$")


ROUTES += WRITE_ROUTES
WRITE_HANDLERS = {handler for _, _, handler in WRITE_ROUTES}
COMPILED = [(method, _compile(path), handler) for method, path, handler in ROUTES]


def match(method: str, path: str):
    """(handler, params) for an API path, or (None, None); HEAD is served as GET."""
    method = "GET" if method == "HEAD" else method
    known_path = False
    for m, regex, handler in COMPILED:
        found = regex.match(path)
        if found:
            known_path = True
            if m == method:
                return handler, found.groupdict()
    return (None, "method") if known_path else (None, None)
