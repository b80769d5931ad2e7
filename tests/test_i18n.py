"""Interface languages: 简体中文 by default, 繁體中文 and English on request, catalogues complete."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
CHINESE_LOCALES = ("zh_Hans", "zh_Hant")
# Placeholders Django fills in: %(name)s / %(count)d and bare %s / %d.
_PLACEHOLDER_RE = re.compile(r"%\(\w+\)[sdfi]|%[sdfi]")


def _catalogues() -> list[Path]:
    found = [
        LOCALE_DIR / locale / "LC_MESSAGES" / f"{domain}.po"
        for locale in CHINESE_LOCALES
        for domain in ("django", "djangojs")
    ]
    return [path for path in found if path.exists() or path.name == "django.po"]


# Strings of the portal's own login page. ("Log in" alone proves little: Django's admin
# catalogue already translates it.)
PORTAL_STRINGS = (
    "Strive for Excellence portal",
    "Campaigns and public pledges of the party organisations",
)


def _html_lang(body: str) -> str:
    match = re.search(r'<html lang="([^"]+)"', body)
    assert match, "the page has no <html lang>"
    return match.group(1)


@pytest.mark.django_db
def test_login_page_is_in_simplified_chinese_by_default(client) -> None:
    response = client.get(reverse("login"))
    assert response.status_code == 200
    body = response.content.decode()
    assert _html_lang(body) == "zh-hans"
    assert "登录" in body
    for text in (*PORTAL_STRINGS, "Log in"):
        assert text not in body, f"“{text}” is not translated (locale/zh_Hans .po/.mo missing?)"


@pytest.mark.django_db
def test_login_page_in_english_with_the_language_cookie(client) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = client.get(reverse("login")).content.decode()
    assert _html_lang(body) == "en"
    assert "Log in" in body
    assert "登录" not in body
    for text in PORTAL_STRINGS:
        assert text in body


@pytest.mark.django_db
def test_set_language_switches_to_english_and_back(client) -> None:
    login_url = reverse("login")
    response = client.post(reverse("set_language"), {"language": "en", "next": login_url})
    assert response.status_code == 302
    assert response["Location"] == login_url
    body = client.get(login_url).content.decode()
    assert _html_lang(body) == "en"
    assert "Log in" in body

    client.post(reverse("set_language"), {"language": "zh-hans", "next": login_url})
    body = client.get(login_url).content.decode()
    assert _html_lang(body) == "zh-hans"
    assert "登录" in body


@pytest.mark.django_db
def test_login_page_in_traditional_chinese(client) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hant"
    body = client.get(reverse("login")).content.decode()
    assert _html_lang(body) == "zh-hant"
    with translation.override("zh-hant"):
        log_in = translation.gettext("Log in")
    assert log_in != "Log in", "zh-hant has no translation for “Log in”"
    assert log_in in body
    for text in PORTAL_STRINGS:
        assert text not in body, f"“{text}” is not translated (locale/zh_Hant .po/.mo missing?)"


@pytest.mark.django_db
def test_browser_language_is_honoured(client) -> None:
    body = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert _html_lang(body) == "en"


@pytest.mark.parametrize("path", _catalogues(), ids=lambda p: f"{p.parts[-3]}/{p.name}")
def test_catalogue_is_complete(path: Path) -> None:
    assert path.exists(), f"{path.relative_to(settings.BASE_DIR)} is missing"
    po = polib.pofile(str(path))
    live = [entry for entry in po if not entry.obsolete]
    assert live, f"{path} has no messages"
    untranslated = [entry.msgid for entry in po.untranslated_entries()]
    assert not untranslated, f"{len(untranslated)} untranslated in {path}: {untranslated[:10]}"
    fuzzy = [entry.msgid for entry in po.fuzzy_entries()]
    assert not fuzzy, f"{len(fuzzy)} fuzzy in {path}: {fuzzy[:10]}"


@pytest.mark.parametrize("path", _catalogues(), ids=lambda p: f"{p.parts[-3]}/{p.name}")
def test_catalogue_placeholders_match(path: Path) -> None:
    """A translation that drops or renames a %(name)s placeholder crashes the page at run time."""
    assert path.exists(), f"{path.relative_to(settings.BASE_DIR)} is missing"
    wrong = []
    for entry in polib.pofile(str(path)):
        if entry.obsolete or not entry.translated():
            continue
        pairs = (
            [(entry.msgid, entry.msgstr)]
            if not entry.msgid_plural
            else [(entry.msgid_plural, text) for text in entry.msgstr_plural.values()]
        )
        for source, text in pairs:
            if sorted(_PLACEHOLDER_RE.findall(source)) != sorted(_PLACEHOLDER_RE.findall(text)):
                wrong.append(f"{source!r} → {text!r}")
    assert not wrong, f"placeholders differ in {path}:\n" + "\n".join(wrong[:20])
