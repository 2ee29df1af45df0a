"""OpenSSH public keys made at run time (a fresh Ed25519 pair each call, the private half dropped):
deploy keys for the tests; no key is ever committed."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def new_public_key() -> str:
    """"ssh-ed25519 AAAA..." of a new key pair."""
    return Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
