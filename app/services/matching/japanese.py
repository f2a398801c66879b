"""Japanese names written in kanji, read as Japanese: 渡辺大輔 is Watanabe Daisuke (ワタナベ ダイスケ), which
read character by character as Chinese (anyascii) is Du Bian Da Fu. Kanji do not tell whether a name is
Chinese or Japanese, so a name in Han characters gets this reading beside its Chinese one, and the scorer
compares it with names in kana or Latin letters (never with another name in kanji: 伊藤 and 伊東 are both
Itō, but two names).

The readings come from pykakasi's dictionary (words, not characters: 長谷川 is Hasegawa). Loading it takes
about a second and some 120 MB, so it is loaded on the first name in kanji, not when the module is imported:
a worker that never sees one never pays for it."""

import re
from functools import lru_cache
from typing import Any

from app.collector import settle

_HAN = re.compile("[\u4e00-\u9fff\u3005]")  # 々 repeats the kanji before it: 佐々木
_NOT_JAPANESE = re.compile("[\uac00-\ud7afA-Za-z]")  # Hangul or Latin letters


@lru_cache(maxsize=1)
def _converter() -> Any:
    # Imported here, not at the top: importing and loading the dictionary is the cost described above.
    import pykakasi  # noqa: PLC0415

    converter = pykakasi.kakasi()
    settle()  # its 280,000 objects live as long as the worker: kept out of every later full collection
    return converter


@lru_cache(maxsize=65536)
def japanese_reading(name: str) -> str | None:
    """The name in katakana, one word per word the dictionary finds (長谷川雪子: ハセガワ ユキコ), or None
    when it holds no kanji or letters of another script."""
    if not _HAN.search(name) or _NOT_JAPANESE.search(name):
        return None
    words = [item["kana"] for item in _converter().convert(name) if item["kana"].strip()]
    reading = " ".join(word for word in words if word.strip())
    return reading if reading and not _HAN.search(reading) else None
