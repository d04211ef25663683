"""Split a string into runs of one Unicode script, so each run gets a font made for it.

Common characters (digits, punctuation, spaces) and inherited ones (combining marks) join the
run they sit in; Han, Hiragana and Katakana map to the locale's CJK font script, Hangul to Korean.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import icu

NEUTRAL = ("Zyyy", "Zinh", "Zzzz")
CJK_LOCALE_SCRIPTS = ("Jpan", "Kore", "Hans", "Hant")


@dataclass(frozen=True)
class Run:
    text: str
    script: str       # the kit's font key (ISO 15924): "Latn", "Arab", "Jpan", ...
    start: int        # offset in the original string (Python str index)


@lru_cache(maxsize=4096)
def char_script(ch: str) -> str:
    """ISO 15924 short name of a character's script ("Zyyy" for common, "Zinh" for inherited)."""
    return icu.Script.getScript(ord(ch)).getShortName()


def font_script(iso: str, locale_script: str) -> str:
    """The kit's font key for a character script, read in the context of the locale."""
    if iso in ("Hira", "Kana"):
        return "Jpan"
    if iso == "Hang":
        return "Kore"
    if iso in ("Hani", "Bopo"):
        return locale_script if locale_script in CJK_LOCALE_SCRIPTS else "Hans"
    return iso


def graphemes(text: str) -> list[str]:
    """Extended grapheme clusters (ICU), so a base and its marks are never separated."""
    return list(split_at_breaks(icu.BreakIterator.createCharacterInstance(icu.Locale.getRoot()), text))


def split_at_breaks(bi: "icu.BreakIterator", text: str) -> tuple[str, ...]:
    """`text` cut at every boundary an ICU break iterator finds (its offsets are UTF-16); the
    non-empty pieces, which joined give back the text."""
    bi.setText(text)
    pieces, start = [], 0
    for end16 in bi:
        end = utf16_to_py(text, end16)
        pieces.append(text[start:end])
        start = end
    return tuple(p for p in pieces if p)


def utf16_to_py(text: str, offset16: int) -> int:
    """ICU speaks UTF-16 offsets; convert one to a Python index (differs after astral chars)."""
    if text.isascii() or all(ord(c) < 0x10000 for c in text):
        return offset16
    n = 0
    for i, c in enumerate(text):
        if n >= offset16:
            return i
        n += 2 if ord(c) >= 0x10000 else 1
    return len(text)


def cluster_script(cluster: str) -> str:
    for ch in cluster:
        s = char_script(ch)
        if s not in NEUTRAL:
            return s
    return "Zyyy"


def split_runs(text: str, locale_script: str) -> list[Run]:
    """Runs of one font script. Neutral clusters join the run before them, except a neutral word
    fragment glued to the next run ("4" in "4K") which goes with that run (or all go to the
    first run at the start of the string)."""
    runs: list[list] = []   # [script, text, start]
    pending = ""            # leading neutrals waiting for the first real script
    tail = ""               # neutrals after the last space of the current run, glued to what follows
    pos = 0
    for cl in graphemes(text):
        iso = cluster_script(cl)
        if iso == "Zyyy":
            if runs:
                runs[-1][1] += cl
                tail = "" if cl.isspace() else tail + cl
            else:
                pending += cl
        else:
            fs = font_script(iso, locale_script)
            if runs and runs[-1][0] == fs:
                runs[-1][1] += cl
            elif not runs:
                runs.append([fs, pending + cl, 0])
                pending = ""
            else:
                if tail and len(tail) < len(runs[-1][1]):
                    runs[-1][1] = runs[-1][1][: -len(tail)]
                    runs.append([fs, tail + cl, pos - len(tail)])
                else:
                    runs.append([fs, cl, pos])
            tail = ""
        pos += len(cl)
    if pending:  # the whole string is neutral: digits and punctuation in the locale's script
        runs.append([locale_script, pending, 0])
    return [Run(t, s, st) for s, t, st in runs]
