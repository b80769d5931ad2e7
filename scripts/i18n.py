"""Translation helpers for `make messages`.

    python scripts/i18n.py untranslated            # msgids still empty in zh_Hans, as JSON
    python scripts/i18n.py apply FILE.json         # write {msgid: 简体} into zh_Hans

A msgid with a context is keyed "context\u0004msgid", gettext's own convention.
    python scripts/i18n.py hant                    # derive every zh_Hant msgstr from zh_Hans

Simplified Chinese is the source of truth; Traditional Chinese is converted character by
character (OpenCC's s2tw profile), so the two never drift apart.
"""

import json
import sys
from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parent.parent / "locale"
DOMAINS = ("django", "djangojs")


def _po(lang: str, domain: str) -> polib.POFile | None:
    path = LOCALE / lang / "LC_MESSAGES" / f"{domain}.po"
    return polib.pofile(str(path), wrapwidth=100) if path.exists() else None


def _key(entry: polib.POEntry) -> str:
    return f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid


def untranslated() -> None:
    out = {}
    for domain in DOMAINS:
        po = _po("zh_Hans", domain)
        if po is None:
            continue
        for entry in po:
            if entry.obsolete:
                continue
            if entry.msgid_plural:
                if not all(entry.msgstr_plural.values()) or entry.fuzzy:
                    out[_key(entry)] = ""
            elif not entry.msgstr or entry.fuzzy:
                out[_key(entry)] = ""
    json.dump(out, sys.stdout, ensure_ascii=False, indent=1)


def apply(path: str) -> None:
    table = json.loads(Path(path).read_text(encoding="utf-8"))
    for domain in DOMAINS:
        po = _po("zh_Hans", domain)
        if po is None:
            continue
        for entry in po:
            text = table.get(_key(entry))
            if not text:
                continue
            if entry.msgid_plural:
                entry.msgstr_plural = {0: text}
            else:
                entry.msgstr = text
            if entry.fuzzy:
                entry.flags.remove("fuzzy")
        po.metadata["Plural-Forms"] = "nplurals=1; plural=0;"
        po.save()


def hant() -> None:
    import opencc

    convert = opencc.OpenCC("s2tw").convert
    for domain in DOMAINS:
        source, target = _po("zh_Hans", domain), _po("zh_Hant", domain)
        if source is None or target is None:
            continue
        simplified = {(e.msgctxt, e.msgid): e for e in source if not e.obsolete}
        for entry in target:
            src = simplified.get((entry.msgctxt, entry.msgid))
            if src is None:
                continue
            if entry.msgid_plural:
                entry.msgstr_plural = {k: convert(v) for k, v in src.msgstr_plural.items()}
            else:
                entry.msgstr = convert(src.msgstr)
            if entry.fuzzy:
                entry.flags.remove("fuzzy")
        target.metadata["Plural-Forms"] = "nplurals=1; plural=0;"
        target.save()


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "untranslated":
        untranslated()
    elif command == "apply":
        apply(sys.argv[2])
    elif command == "hant":
        hant()
    else:
        sys.exit(__doc__)
