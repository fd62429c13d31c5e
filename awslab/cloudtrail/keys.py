"""The lab's CloudTrail signing keys: one RSA key pair per region, as CloudTrail uses.

https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-custom-validation.html
Keys are made on first use and kept in ``cloudtrail_signing_keys`` so a reopened lab validates
what it signed before. ListPublicKeys returns the public half (DER PKCS#1, as AWS does).
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

CREATE_KEYS = """
CREATE TABLE IF NOT EXISTS cloudtrail_signing_keys (
    region VARCHAR PRIMARY KEY,
    fingerprint VARCHAR NOT NULL,     -- 32 hex characters (MD5 of the DER public key)
    private_key_pem VARCHAR NOT NULL,
    public_key_der BLOB NOT NULL,     -- PKCS#1 RSAPublicKey, DER
    valid_from TIMESTAMPTZ NOT NULL
)"""

SIGNATURE_ALGORITHM = "SHA256withRSA"


def _create(db, region: str, now: datetime) -> tuple[str, bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    fingerprint = hashlib.md5(der).hexdigest()
    db.execute("INSERT INTO cloudtrail_signing_keys VALUES (?, ?, ?, ?, ?)",
               [region, fingerprint, pem.decode(), der, now - timedelta(days=1)])
    return fingerprint, pem, der


def signing_key(db, region: str, now: datetime) -> tuple[str, bytes]:
    """(fingerprint, private PEM) for ``region``, creating the key pair on first use."""
    row = db.execute("SELECT fingerprint, private_key_pem FROM cloudtrail_signing_keys WHERE region = ?",
                     [region]).fetchone()
    if row is None:
        fingerprint, pem, _ = _create(db, region, now)
        return fingerprint, pem
    return row[0], row[1].encode()


def public_keys(db, region: str) -> list[dict]:
    """ListPublicKeys' entries for ``region``: Value (DER bytes), validity window, Fingerprint."""
    rows = db.execute("SELECT fingerprint, public_key_der, valid_from FROM cloudtrail_signing_keys WHERE region = ?",
                      [region]).fetchall()
    return [{"Value": bytes(der), "ValidityStartTime": start, "ValidityEndTime": start + timedelta(days=3650),
             "Fingerprint": fingerprint} for fingerprint, der, start in rows]


def sign(private_pem: bytes, text: str) -> str:
    """RSA PKCS#1 v1.5 over SHA-256 of ``text``, as hex (what x-amz-meta-signature holds)."""
    key = serialization.load_pem_private_key(private_pem, password=None)
    return key.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256()).hex()


def load_public_key(der: bytes):
    """A public key from DER: PKCS#1 RSAPublicKey (as ListPublicKeys gives it) or SubjectPublicKeyInfo."""
    try:
        return serialization.load_der_public_key(der)
    except ValueError:
        body = base64.encodebytes(der).decode()
        pem = f"-----BEGIN RSA PUBLIC KEY-----\n{body}-----END RSA PUBLIC KEY-----\n"
        return serialization.load_pem_public_key(pem.encode())


def verify(public_der: bytes, text: str, signature_hex: str) -> bool:
    """Whether ``signature_hex`` is a valid SHA256withRSA signature of ``text``."""
    try:
        load_public_key(public_der).verify(bytes.fromhex(signature_hex), text.encode(), padding.PKCS1v15(),
                                           hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


def string_to_sign(digest_end_time: str, bucket: str, key: str, digest_bytes: bytes,
                   previous_signature: str | None) -> str:
    """The four lines CloudTrail signs for a digest file."""
    return "\n".join([digest_end_time, f"{bucket}/{key}", hashlib.sha256(digest_bytes).hexdigest(),
                      previous_signature if previous_signature else "null"])
