"""moto's S3 server on loopback, checking credentials (tests/end_to_end/test_restic_s3.py and
test_s3_object_lock.py): IAM users, each with its own policy and a key made at run time.
moto lets the first INITIAL_NO_AUTH_ACTION_COUNT requests through without credentials: three
per user (the user, its policy, its key); every later request is checked against the policies."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import requests

from tests.support.backends import free_port, stop_process

# Everything on every bucket: the S3 tests' one user, and the object-lock test's administrator.
ALL_OF_S3 = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}


@dataclass(frozen=True)
class S3Key:
    key_id: str
    secret: str

    def environ(self) -> dict[str, str]:
        return {"AWS_ACCESS_KEY_ID": self.key_id, "AWS_SECRET_ACCESS_KEY": self.secret}

    def dotenv(self) -> str:
        """The key as lines of a BACKUP_ENV_FILE."""
        return "".join(f"{name}={value}\n" for name, value in self.environ().items())


@dataclass(frozen=True)
class MotoS3:
    port: int
    keys: dict[str, S3Key]  # by IAM user name

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, user: str, config=None):
        """boto3's S3 client with that user's key (and botocore's `config`, if any)."""
        import boto3

        key = self.keys[user]
        return boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1", config=config,
                            aws_access_key_id=key.key_id, aws_secret_access_key=key.secret)


@contextmanager
def moto_s3(tmp_path: Path, policies: dict[str, dict]) -> Iterator[MotoS3]:
    """moto's server on a free loopback port with one IAM user per entry of `policies`
    (user name -> policy document), stopped by its pid at the end; its log in tmp_path/moto.log."""
    import boto3

    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["INITIAL_NO_AUTH_ACTION_COUNT"] = str(3 * len(policies))
    log_path = tmp_path / "moto.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                                env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(endpoint + "/moto-api/", timeout=2)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("moto's server did not start: " + log_path.read_text()[-2000:])
                time.sleep(0.2)
        bootstrap = "bootstrap-" + os.urandom(4).hex()
        iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                           aws_access_key_id=bootstrap, aws_secret_access_key=bootstrap)
        keys = {}
        for user, policy in policies.items():
            iam.create_user(UserName=user)
            iam.put_user_policy(UserName=user, PolicyName="s3", PolicyDocument=json.dumps(policy))
            key = iam.create_access_key(UserName=user)["AccessKey"]
            keys[user] = S3Key(key["AccessKeyId"], key["SecretAccessKey"])
        yield MotoS3(port, keys)
    finally:
        stop_process(proc)
