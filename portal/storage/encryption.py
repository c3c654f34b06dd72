"""Content encrypted at rest: each file gets its own AES-256-GCM data key, kept in the file's
header wrapped (Fernet) by FIELD_ENCRYPTION_KEY.

The master key only ever encrypts 32-byte data keys, so rotating it means re-wrapping headers,
not re-encrypting every file; AES-GCM on the content is several times faster than Fernet's
AES-CBC + HMAC + base64 on files of megabytes. The storage key (the plaintext's SHA-256) is
authenticated with the content, so a file renamed or swapped on disk is refused, not served.
"""
from __future__ import annotations

import hashlib
import os
import struct

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"MSP-ENC1"
_NONCE_SIZE = 12


class CorruptFile(ValueError):
    """A stored file is not what its key says (tampered with, truncated or another key's)."""


def seal(content: bytes, key: str, master_key: str) -> bytes:
    data_key = AESGCM.generate_key(bit_length=256)
    wrapped = Fernet(master_key).encrypt(data_key)
    nonce = os.urandom(_NONCE_SIZE)
    ciphertext = AESGCM(data_key).encrypt(nonce, content, MAGIC + key.encode())
    return MAGIC + struct.pack("!H", len(wrapped)) + wrapped + nonce + ciphertext


def unseal(blob: bytes, key: str, master_key: str) -> bytes:
    if not blob.startswith(MAGIC):
        # Files issued before encryption at rest are plaintext: served only if they match their key.
        if hashlib.sha256(blob).hexdigest() != key:
            raise CorruptFile(f"contenu du fichier {key} altéré")
        return blob
    try:
        (length,) = struct.unpack_from("!H", blob, len(MAGIC))
        start = len(MAGIC) + 2
        data_key = Fernet(master_key).decrypt(blob[start:start + length])
        nonce = blob[start + length:start + length + _NONCE_SIZE]
        return AESGCM(data_key).decrypt(nonce, blob[start + length + _NONCE_SIZE:], MAGIC + key.encode())
    except (struct.error, InvalidToken, InvalidTag, ValueError) as error:
        raise CorruptFile(f"contenu du fichier {key} illisible ou altéré") from error
