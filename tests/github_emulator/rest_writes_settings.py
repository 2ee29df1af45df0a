"""The write side's repository settings beyond the repository's PATCH: Actions variables
(POST, PATCH), autolinks (POST), deploy keys (POST) and webhooks (POST), each as GitHub's REST
description has it (topics: rest_writes.replace_topics).

GitHub's rules kept here: a deploy key's public key is refused when any repository on the host
already has it (422 "key is already in use", with GitHub's `errors`), a webhook is created with
the `active` it is sent (default true) and never answers its secret (`********`), one webhook per
URL and repository, one autolink per key prefix, variable names unique (409) and upper case.
"""
from __future__ import annotations

import base64
import binascii
import re

from .builder import iso
from .rest import ApiError, Ctx, Response
from .rest_metadata import deploy_key_json
from .rest_shapes import hook_json
from .rest_writes import change_repo, created, invalid, request_body, writable_repo

VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
SECRET_MASK = "********"  # what GitHub answers for a webhook secret that is set


def _failed(resource: str, field: str, code: str, message: str | None = None) -> ApiError:
    """422 with GitHub's `errors` (the message folded into `message` too, as elsewhere here)."""
    error = {"resource": resource, "code": code, "field": field}
    if message:
        error["message"] = message
    return ApiError(422, f"Validation Failed: {message or f'{resource}.{field} {code}'}", errors=[error])


def _string(body: dict, key: str, resource: str, *, required: bool = True) -> str | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise _failed(resource, key, "missing_field" if value is None else "invalid")
    return value


# ------------------------------------------------------------------------ Actions variables


def add_variable(c: Ctx, owner, repo, variables_of, where: str):
    """POST of a variable into the list `variables_of(record)` (None: 404): 201 with an empty object;
    409 for a name that exists. `where`: the listing's path under the repository (the Location)."""
    login, name = writable_repo(c, owner, repo)
    body = request_body(c)
    variable, value = _string(body, "name", "Variable"), _string(body, "value", "Variable")
    if not VARIABLE_NAME.fullmatch(variable) or variable.upper().startswith("GITHUB_"):
        raise _failed("Variable", "name", "invalid", f"{variable} is not a valid variable name")

    def fn(b, rec):
        variables = variables_of(rec)
        if variables is None:
            raise ApiError(404)
        if any(v["name"] == variable.upper() for v in variables):
            raise ApiError(409, "Already exists - Variable already exists")
        when = iso(b.tick())
        variables.append({"name": variable.upper(), "value": value, "created_at": when, "updated_at": when})
    change_repo(c, login, name, fn)
    return created({}, f"{c.api}/repos/{login}/{name}/{where}/{variable.upper()}")


def change_variable(c: Ctx, owner, repo, variables_of, name):
    """PATCH of the variable `name` in `variables_of(record)`: value (and a new name); 204, 404 when not there."""
    login, repo_name = writable_repo(c, owner, repo)
    body = request_body(c)
    value = _string(body, "value", "Variable", required=False)
    renamed = _string(body, "name", "Variable", required=False)

    def fn(b, rec):
        found = next((v for v in variables_of(rec) or [] if v["name"] == name.upper()), None)
        if found is None:
            raise ApiError(404)
        if value is not None:
            found["value"] = value
        if renamed is not None:
            found["name"] = renamed.upper()
        found["updated_at"] = iso(b.tick())
    change_repo(c, login, repo_name, fn)
    return Response(204, b"", {})


def create_repo_variable(c: Ctx, owner, repo):
    """POST .../actions/variables."""
    return add_variable(c, owner, repo, lambda rec: rec["variables"], "actions/variables")


def update_repo_variable(c: Ctx, owner, repo, name):
    """PATCH .../actions/variables/{name}."""
    return change_variable(c, owner, repo, lambda rec: rec["variables"], name)


# ------------------------------------------------------------------------ autolinks


def create_autolink(c: Ctx, owner, repo):
    """POST .../autolinks: key_prefix, url_template (with <num>), is_alphanumeric (default true)."""
    login, name = writable_repo(c, owner, repo)
    body = request_body(c)
    prefix, template = _string(body, "key_prefix", "KeyLinkReference"), _string(body, "url_template",
                                                                               "KeyLinkReference")
    alphanumeric = body.get("is_alphanumeric", True)
    if not isinstance(alphanumeric, bool):
        raise _failed("KeyLinkReference", "is_alphanumeric", "invalid")
    if "<num>" not in template:
        raise _failed("KeyLinkReference", "url_template", "custom", "url_template must contain <num>")

    def fn(b, rec):
        if any(a["key_prefix"].lower() == prefix.lower() for a in rec["autolinks"]):
            raise _failed("KeyLinkReference", "key_prefix", "already_exists")
        link = {"id": b.new_id(), "key_prefix": prefix, "url_template": template, "is_alphanumeric": alphanumeric}
        rec["autolinks"].append(link)
        return dict(link, updated_at=iso(b.tick()))
    _, link = change_repo(c, login, name, fn)
    return created(link, f"{c.api}/repos/{login}/{name}/autolinks/{link['id']}")


# ------------------------------------------------------------------------ deploy keys


def public_key_blob(key: str) -> str | None:
    """"TYPE BASE64" of an OpenSSH public key (its comment dropped), or None when it is no such key:
    the base64 must decode to a blob whose first string is the key's type."""
    parts = key.split()
    if len(parts) < 2:
        return None
    kind, data = parts[0], parts[1]
    try:
        blob = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return None
    size = int.from_bytes(blob[:4], "big")
    if len(blob) < 4 + size or blob[4:4 + size] != kind.encode():
        return None
    return f"{kind} {data}"


def create_deploy_key(c: Ctx, owner, repo):
    """POST .../keys: title, key, read_only (default false). 422 for a key that is no OpenSSH public
    key, and for one any repository on this GitHub has already ("key is already in use")."""
    login, name = writable_repo(c, owner, repo)
    body = request_body(c)
    key = _string(body, "key", "PublicKey")
    title = _string(body, "title", "PublicKey", required=False)
    read_only = body.get("read_only", False)
    if not isinstance(read_only, bool):
        raise _failed("PublicKey", "read_only", "invalid")
    blob = public_key_blob(key)
    if blob is None:
        raise _failed("PublicKey", "key", "custom",
                      "key is invalid. You must supply a key in OpenSSH public key format")

    def fn(b, rec):
        for org in b.world["orgs"].values():
            for other in org["repos"].values():
                if any(public_key_blob(k["key"]) == blob for k in other.get("deploy_keys") or []):
                    raise _failed("PublicKey", "key", "custom", "key is already in use")
        made = {"id": b.new_id(), "title": title if title is not None else "", "key": blob, "read_only": read_only,
                "created_at": iso(b.tick()), "added_by": c.user["login"]}
        rec["deploy_keys"].append(made)
        return made
    _, made = change_repo(c, login, name, fn)
    answer = deploy_key_json(c, f"{login}/{name}", made)
    return created(answer, answer["url"])


# ------------------------------------------------------------------------ webhooks


def create_webhook(c: Ctx, owner, repo):
    """POST .../hooks: name (web only), config {url, content_type, secret, insecure_ssl}, events
    (default push), active (default true, honoured). The secret is kept and answered masked."""
    login, name = writable_repo(c, owner, repo)
    events, active, stored = hook_fields(request_body(c))

    def fn(b, rec):
        if any(h["config"].get("url") == stored["url"] for h in rec["hooks"]):
            raise _failed("Hook", "config", "custom", "Hook already exists on this repository")
        when = iso(b.tick())
        hook = {"id": b.new_id(), "name": "web", "events": events, "active": active,
                "config": stored, "created_at": when, "updated_at": when}
        rec["hooks"].append(hook)
        return hook
    _, hook = change_repo(c, login, name, fn)
    answer = hook_json(c, f"{login}/{name}", hook)
    return created(answer, answer["url"])


def hook_fields(body: dict) -> tuple[list, bool, dict]:
    """(events, active, config as stored) of a webhook's POST body (a repository's or an organization's)."""
    if body.get("name", "web") != "web":
        raise _failed("Hook", "name", "invalid")
    config = body.get("config")
    if not isinstance(config, dict) or not isinstance(config.get("url"), str) or not config["url"]:
        raise _failed("Hook", "config", "custom", "Config must contain URL.")
    events = body.get("events", ["push"])
    active = body.get("active", True)
    if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
        raise _failed("Hook", "events", "invalid")
    if not isinstance(active, bool):
        raise _failed("Hook", "active", "invalid")
    content_type = config.get("content_type", "form")
    if content_type not in ("json", "form"):
        raise _failed("Hook", "content_type", "invalid")
    stored = {"url": config["url"], "content_type": content_type,
              "insecure_ssl": str(config.get("insecure_ssl", "0"))}
    if config.get("secret"):
        stored["secret"] = SECRET_MASK
    return list(dict.fromkeys(events)), active, stored
