"""The handler's downloads: release assets (the API's octet-stream redirect to signed storage,
browser downloads) and user attachments, and the paced writing of bodies (the throttle and
stall faults) that git and LFS answers use too."""
from __future__ import annotations

import re
import secrets
import time
from pathlib import Path

from .rest import sign

DOWNLOAD_PATH = re.compile(r"^/_downloads/(?P<id>\d+)$")
ATTACHMENT_PATH = re.compile(r"^/user-attachments/(?:assets/(?P<asset>[0-9a-f-]{36})|files/(?P<file>[0-9a-f-]{36})/[^/]+)$")
ATTACHMENT_DOWNLOAD = re.compile(r"^/_downloads/attachments/(?P<uuid>[0-9a-f-]{36})$")
BROWSER_DOWNLOAD = re.compile(r"^/(?P<org>[^/]+)/(?P<name>[^/]+)/releases/download/(?P<tag>.+)/(?P<file>[^/]+)$")


class DownloadRequests:
    """Release assets, user attachments, and sending a file or body at the faults' pace."""

    def signed_download(self, asset_id: int, sig: str) -> None:
        found = self.em.store.current().assets.get(asset_id)
        if not found or not secrets.compare_digest(sig, sign(self.em.secret, asset_id)):
            return self.reply(403, b"<Error><Code>AccessDenied</Code></Error>", None, "application/xml")
        self.send_file(self.em.root / "assets" / str(asset_id))

    def browser_download(self, found) -> None:
        view = self.em.store.current()
        repo = view.find_repo(found["org"], found["name"])
        user, bad = self.identify()
        if not repo or bad or (repo[1]["private"] and not user):
            return self.reply(404, b"Not Found", None, "text/plain")
        for rel in repo[1]["releases"]:
            for asset in rel["assets"]:
                if rel["tag_name"] == found["tag"] and asset["name"] == found["file"]:
                    return self.send_file(self.em.root / "assets" / str(asset["id"]))
        return self.reply(404, b"Not Found", None, "text/plain")

    def attachment(self, found, sig: str) -> None:
        """/user-attachments/...: 302 to signed storage (a private repository's needs a token);
        /_downloads/attachments/<uuid>?sig=: the bytes, no auth (like S3)."""
        key = found.groupdict().get("uuid") or found["asset"] or found["file"]
        meta = self.em.store.current().attachments.get(key)
        if "uuid" in found.groupdict():
            if not meta or not secrets.compare_digest(sig, sign(self.em.secret, key)):
                return self.reply(403, b"<Error><Code>AccessDenied</Code></Error>", None, "application/xml")
            return self.send_file(self.em.root / "attachments" / key, meta["content_type"])
        user, bad = self.identify()
        repo = meta and self.em.store.current().find_repo(*meta["repo"].split("/", 1))
        if not repo or bad or (repo[1]["private"] and not user):
            return self.reply(404, b"Not Found", None, "text/plain")
        location = f"{self.web_base()}/_downloads/attachments/{key}?sig={sign(self.em.secret, key)}"
        return self.reply(302, b"", {"Location": location}, "text/html")

    def send_file(self, path: Path, content_type: str = "application/octet-stream") -> None:
        size = path.stat().st_size
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(size))
        self.end_headers()
        if self.command == "HEAD":
            return
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(65536), b""):
                self.write_paced(block)

    def write_paced(self, data: bytes, *, chunked: bool = False, stall: bool = False) -> None:
        """Write body bytes, slowed by `throttle_bytes_per_second`, stopped after the first
        piece for `stall_seconds` (when `stall`); as is without those faults."""
        faults = self.em.faults()
        rate = faults.get("throttle_bytes_per_second") or 0
        step = max(1, int(rate) // 10) if rate else max(1, len(data))
        for start in range(0, len(data), step):
            piece = data[start:start + step]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
            self.wfile.flush()
            if rate:
                time.sleep(len(piece) / rate)
            if stall and start == 0 and faults.get("stall_seconds"):
                time.sleep(float(faults["stall_seconds"]))
