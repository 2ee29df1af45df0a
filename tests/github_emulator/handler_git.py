"""The handler's git and Git LFS requests: access to a repository (tokens, private repositories,
pushes by the admin token, the git_500_repos fault and a hostile server's answers, a wiki made by its
first push under the wiki_created_on_push switch), git smart HTTP through `git http-backend`, and the
LFS batch API and object transfers."""
from __future__ import annotations

import gzip
import hashlib
import json
import re
import secrets
import subprocess
import threading

from .builder import git_env
from .gists import GISTS_DIR, gist_git_dir
from .mutate import create_wiki

# /ORG/NAME.git/<rest> and /ORG/NAME.wiki.git/<rest> (".git" optional, as on GitHub)
GIT_PATH = re.compile(r"^/(?P<org>[^/]+)/(?P<name>[^/]+?)(?:\.git)?"
                      r"(?P<rest>/(?:info/refs|HEAD|git-upload-pack|git-receive-pack|objects/.*|info/lfs/.*))$")
LFS_OBJECT = re.compile(r"^/info/lfs/objects/(?P<oid>[0-9a-f]{64})$")


class GitRequests:
    """Git smart HTTP and Git LFS for /ORG/NAME(.wiki).git/..."""

    def repository(self, org: str, name: str, *, write: bool):
        """Resolve and authorize; returns (org login, canonical name, wiki?) or None after replying."""
        if org == "gist":  # /gist/<ID>.git: a gist's, read by anyone who has its id (gists.py)
            return self.gist_repository(name, write=write)
        wiki = name.lower().endswith(".wiki")
        base = name[:-5] if wiki else name
        found = self.em.store.current().find_repo(org, base)
        user, bad = self.identify()
        challenge = {"WWW-Authenticate": 'Basic realm="GitHub"', "LFS-Authenticate": 'Basic realm="GitHub"'}
        if bad:
            self.reply(401, b"Invalid username or token. Password authentication is not supported.\n",
                       challenge, "text/plain")
            return None
        if (found and found[1]["private"] or write) and not user:
            self.reply(401, b"Authentication required\n", challenge, "text/plain")
            return None
        if found and self.em.store.current().hidden(user, *found):
            found = None  # a person's private repository, to another person: not there
        path = f"{found[0]}/{found[1]['name']}" if found else ""
        git_dir = self.em.root / "git" / (path + (".wiki.git" if wiki else ".git"))
        if found and wiki and write and user and user["admin"] and not git_dir.is_dir() \
                and self.em.faults().get("wiki_created_on_push"):
            create_wiki(self.em.root, found[0], found[1]["name"])  # a host that makes a wiki on its first push
        if not found or not git_dir.is_dir():
            self.reply(404, b"Repository not found.\n", None, "text/plain")
            return None
        if write and not (user and user["admin"]):
            self.reply(403, b"Permission to " + path.encode() + b".git denied.\n", None, "text/plain")
            return None
        if self.em.git_500((path + (".wiki" if wiki else "")).lower()):
            self.reply(500, b"Internal Server Error (injected)\n", None, "text/plain")
            return None
        return found[0], found[1]["name"], wiki, user

    def gist_repository(self, gist_id: str, *, write: bool):
        user, _ = self.identify()
        if write or not gist_git_dir(self.em.root, gist_id).is_dir():
            self.reply(404 if not write else 403, b"Repository not found.\n", None, "text/plain")
            return None
        return GISTS_DIR, gist_id, False, user

    def hostile_answer(self, found, url) -> bool:
        """The faults of a hostile or broken server for one repository's git and LFS: `git_redirect`
        {"ORG/NAME": "https://other-host"} answers 302 to the same path there; `lfs_unauthorized_repos`
        ["ORG/NAME"] answers every LFS request 401 with a Basic challenge, whatever the credentials
        (a token GitHub stopped taking, for ever: git-lfs asks again and again)."""
        faults = self.em.faults()
        repo = f"{found['org']}/{found['name']}".lower()  # a wiki: "ORG/NAME.wiki"
        redirects = {k.lower(): v for k, v in (faults.get("git_redirect") or {}).items()}
        if repo in redirects:
            self.read_body() if self.command in ("POST", "PUT") else None
            self.send_response(302)
            self.send_header("Location", redirects[repo].rstrip("/") + url.path + (f"?{url.query}" if url.query else ""))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return True
        if found["rest"].startswith("/info/lfs/") and repo in (r.lower() for r in faults.get("lfs_unauthorized_repos", [])):
            self.read_body() if self.command in ("POST", "PUT") else None
            self.em.count("lfs")
            self.reply(401, b'{"message": "Bad credentials"}',
                       {"WWW-Authenticate": 'Basic realm="GitHub"', "LFS-Authenticate": 'Basic realm="GitHub"'},
                       "application/vnd.git-lfs+json")
            return True
        return False

    def git(self, org: str, name: str, rest: str, query_string: str) -> None:
        write = rest == "/git-receive-pack" or "service=git-receive-pack" in query_string
        body = self.read_body() if self.command == "POST" else b""
        access = self.repository(org, name, write=write)
        if not access:
            return
        login, canonical, wiki, user = access
        if rest == "/git-upload-pack" and asks_for_a_pack(body, self.headers.get("Content-Encoding", "")) \
                and self.em.git_500(f"{login}/{canonical}{'.wiki' if wiki else ''}".lower(), "git_500_packs"):
            self.reply(500, b"Internal Server Error (injected)\n", None, "text/plain")
            return
        env = git_env(self.em.home)
        env.update({
            "GIT_PROJECT_ROOT": str(self.em.root / "git"), "GIT_HTTP_EXPORT_ALL": "1",
            "REQUEST_METHOD": self.command, "QUERY_STRING": query_string,
            "PATH_INFO": f"/{login}/{canonical}{'.wiki' if wiki else ''}.git{rest}",
            "CONTENT_TYPE": self.headers.get("Content-Type", ""), "CONTENT_LENGTH": str(len(body)),
            "REMOTE_ADDR": self.client_address[0], "SERVER_PROTOCOL": "HTTP/1.1",
            "GIT_CONFIG_COUNT": "3",
            "GIT_CONFIG_KEY_0": "safe.directory", "GIT_CONFIG_VALUE_0": "*",
            "GIT_CONFIG_KEY_1": "uploadpack.allowReachableSHA1InWant", "GIT_CONFIG_VALUE_1": "true",
            "GIT_CONFIG_KEY_2": "uploadpack.allowFilter", "GIT_CONFIG_VALUE_2": "true",
        })
        if user:
            env["REMOTE_USER"] = user["login"]
        for header in ("Content-Encoding", "Git-Protocol", "Accept"):
            if self.headers.get(header):
                env["HTTP_" + header.upper().replace("-", "_")] = self.headers[header]
        proc = subprocess.Popen(["git", "http-backend"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, env=env)
        feeder = threading.Thread(target=_feed, args=(proc.stdin, body), daemon=True)
        feeder.start()
        try:
            status, headers = 200, {}
            while True:
                line = proc.stdout.readline()
                if line in (b"\r\n", b"\n", b""):
                    break
                key, _, value = line.decode("latin-1").partition(":")
                if key.lower() == "status":
                    status = int(value.split()[0])
                elif key.lower() != "content-length":
                    headers[key.strip()] = value.strip()
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            first = True
            while True:
                chunk = proc.stdout.read1(65536)
                if not chunk:
                    break
                self.em.add_bytes("git", len(chunk))
                self.write_paced(chunk, chunked=True, stall=first and rest == "/git-upload-pack")
                first = False
            self.wfile.write(b"0\r\n\r\n")
        finally:
            proc.stdout.close()
            proc.wait()
            feeder.join()

    def lfs(self, org: str, name: str, rest: str) -> None:
        body = self.read_body() if self.command in ("POST", "PUT") else b""
        lfs_type = {"Content-Type": "application/vnd.git-lfs+json"}
        if rest == "/info/lfs/objects/batch" and self.command == "POST":
            try:
                request = json.loads(body or b"{}")
            except ValueError:
                return self.reply_json(422, {"message": "Invalid JSON"}, lfs_type)
            upload = request.get("operation") == "upload"
            access = self.repository(org, name, write=upload)
            if not access:
                return
            return self.lfs_batch(access, request, upload)
        if rest.startswith("/info/lfs/locks"):
            access = self.repository(org, name, write=False)
            if access:
                self.reply_json(200, {"locks": [], "ours": [], "theirs": [], "next_cursor": ""}, lfs_type)
            return
        found = LFS_OBJECT.match(rest)
        if not found or self.command not in ("GET", "PUT", "HEAD"):
            return self.reply_json(404, {"message": "Not Found"}, lfs_type)
        access = self.repository(org, name, write=self.command == "PUT")
        if not access:
            return
        store = self.em.root / "lfs" / access[0] / access[1] / found["oid"]
        if self.command == "PUT":
            if hashlib.sha256(body).hexdigest() != found["oid"]:
                return self.reply_json(422, {"message": "oid does not match content"}, lfs_type)
            store.parent.mkdir(parents=True, exist_ok=True)
            tmp = store.with_suffix(".tmp-" + secrets.token_hex(4))
            tmp.write_bytes(body)
            tmp.replace(store)
            return self.reply(200, b"", None, "text/plain")
        if not store.is_file():
            return self.reply_json(404, {"message": "Object does not exist"}, lfs_type)
        if self.command == "GET":
            self.em.add_bytes("lfs", store.stat().st_size)
        return self.send_file(store)

    def lfs_batch(self, access, request: dict, upload: bool) -> None:
        login, canonical, _, _ = access
        base = f"{self.web_base()}/{login}/{canonical}.git/info/lfs/objects"
        header = {"Authorization": self.headers["Authorization"]} if self.headers.get("Authorization") else {}
        objects = []
        for obj in request.get("objects", []):
            oid, size = str(obj.get("oid", "")), obj.get("size", 0)
            entry = {"oid": oid, "size": size}
            if not re.fullmatch(r"[0-9a-f]{64}", oid):
                entry["error"] = {"code": 422, "message": "Invalid object id"}
            else:
                exists = (self.em.root / "lfs" / login / canonical / oid).is_file()
                action = {"href": f"{base}/{oid}", "header": header, "expires_in": 3600}
                if upload and not exists:
                    entry.update(authenticated=True, actions={"upload": action})
                elif upload:
                    pass  # already there: nothing to send
                elif exists:
                    entry.update(authenticated=True, actions={"download": action})
                else:
                    entry["error"] = {"code": 404, "message": "Object does not exist"}
            objects.append(entry)
        self.reply_json(200, {"transfer": "basic", "objects": objects, "hash_algo": "sha256"},
                        {"Content-Type": "application/vnd.git-lfs+json"})


def asks_for_a_pack(body: bytes, encoding: str) -> bool:
    """A POST to git-upload-pack that negotiates a pack (a fetch or a clone), not protocol v2's
    ls-refs (an ls-remote's)."""
    try:
        data = gzip.decompress(body) if encoding == "gzip" else body
    except OSError:
        return True
    return b"command=ls-refs" not in data


def _feed(pipe, body: bytes) -> None:
    try:
        pipe.write(body)
    except BrokenPipeError:
        pass
    finally:
        try:
            pipe.close()
        except BrokenPipeError:
            pass
