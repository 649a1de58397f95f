"""Password rules (OWASP ASVS 5.0 6.2): long enough, long ones allowed, common ones refused."""

from importlib import resources

MIN_LENGTH = 12
MAX_LENGTH = 256


def _common_passwords() -> frozenset[str]:
    text = resources.files("forums").joinpath("data/common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


_COMMON = _common_passwords()


def password_problem(password: str) -> str | None:
    """Why ``password`` is not acceptable, or None when it is."""
    if len(password) < MIN_LENGTH:
        return f"The password needs at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"The password may have at most {MAX_LENGTH} characters."
    if password.lower() in _COMMON:
        return "This password is too common; choose another."
    return None
