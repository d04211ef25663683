"""Evaluate subject detection on the labelled set (tests/subject_set.py): the old detectors
(analysis version 2: Haar faces, MSER text without stroke checks) beside the current ones.

    python scripts/eval_subjects.py [--misses]

Prints, per category: precision and recall of protected faces (human and animal), recall of
faces of at least 2% of the image, false faces, titles found, false text lines on images
without text, and seconds. Targets: recall and precision >= 0.95 for faces >= 2%; no false
face on textures, scenes and titled art.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from subject_eval import evaluate, false_text, new_detector, old_detector, table  # noqa: E402
from subject_set import subject_set  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--misses", action="store_true", help="list missed and false boxes of the new detectors")
    args = ap.parse_args()
    items = subject_set()
    print(f"{len(items)} labelled images")
    new = evaluate(items, new_detector)
    old = evaluate(items, old_detector)
    print(table(old, new))
    if args.misses:
        print("new misses:", *new["all"].misses, sep="\n  ")
        print("new false:", *new["all"].false, sep="\n  ")
        print("new false text:", *false_text(items, new_detector), sep="\n  ")
        print("old misses:", *old["all"].misses, sep="\n  ")
        print("old false:", *old["all"].false, sep="\n  ")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
