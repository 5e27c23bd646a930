"""The RSA key that signs the API's JWT access and refresh tokens.

Read by settings: `JWT_PRIVATE_KEY` (the PEM itself) or `JWT_PRIVATE_KEY_FILE` (a
path to it). With DEBUG on and neither set, a key is generated once into the
git-ignored `jwt_private_key.pem`, so `make run` works on a fresh clone."""

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import ImproperlyConfigured


def generate_private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    ).decode()


def read_or_create(path: Path) -> str:
    """The PEM in `path`, written there first (owner-readable only) if missing."""
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(generate_private_key_pem())
    return path.read_text()


def check(pem: str) -> None:
    """Raise ImproperlyConfigured unless `pem` is an unencrypted RSA private key.

    (Importing `serialization` here also makes it resolvable for allauth, which
    reaches it through a lazy `cryptography` proxy that fails when `cryptography`
    was already imported without it.)"""
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError) as error:
        raise ImproperlyConfigured(
            f"JWT_PRIVATE_KEY is not a PEM private key: {error}"
        ) from error
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ImproperlyConfigured("JWT_PRIVATE_KEY must be an RSA key (RS256).")
