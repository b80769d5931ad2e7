"""How people's names are shown."""

import unicodedata


def _is_cjk(text: str) -> bool:
    return any("CJK" in unicodedata.name(ch, "") for ch in text)


def person_name(user) -> str:
    """A user's name as people write it: 王小明 for Chinese names (surname first, no space),
    "Ann Smith" otherwise; the username when no name is set."""
    if user is None:
        return ""
    first, last = (user.first_name or "").strip(), (user.last_name or "").strip()
    if not first and not last:
        return user.get_username()
    if _is_cjk(first + last):
        return f"{last}{first}"
    return f"{first} {last}".strip()
