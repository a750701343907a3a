"""Password hashing with Argon2id (argon2-cffi's defaults, RFC 9106's second choice).

Only the hash is stored. A hash made with older parameters is replaced on the next
successful sign-in, so raising the cost later needs no migration.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from fundpool.errors import InvalidInput

MIN_LENGTH = 10
MAX_LENGTH = 200
_hasher = PasswordHasher()


def check_strength(password: str, login: str) -> None:
    """Refuse passwords a guesser would try first; length matters more than symbols."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"the password needs at least {MIN_LENGTH} characters", "password")
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"the password may have at most {MAX_LENGTH} characters", "password")
    if login.lower() in password.lower():
        raise InvalidInput("the password must not contain the sign-in name", "password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)
