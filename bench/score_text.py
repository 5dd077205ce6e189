"""The score-text reader on long inputs: 10 kB, 100 kB, 1 MB and 5 MB.

Three shapes each: the demo report repeated on one line (the case that was quadratic: 20k
characters 2.6 s, 160k characters 179 s), the report repeated line by line, and "hostile"
text (a long run of words with numbers and no stops). Linear means about 10× the time for
10× the input; the last column shows microseconds per character.

    python bench/score_text.py [--sizes 10000,100000,1000000,5000000]
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingest.score_text import read_score_text
from ingest.snapshot_draft import ScoreReadError

DEMO = Path(__file__).resolve().parents[1] / "bot" / "demo" / "bao-cao-diem-mau.txt"


def shapes() -> dict[str, str]:
    report = DEMO.read_text(encoding="utf-8")
    return {
        "one line": report.replace("\n", " ") + " ",
        "lines": report,
        "words+numbers": "Tiến độ giải quyết hồ sơ 1 2 3 công khai minh bạch a: 1 - ",
    }


def measure(text: str) -> float:
    start = time.perf_counter()
    # repeated reports disagree with each other: the time is what counts
    with contextlib.suppress(ScoreReadError):
        read_score_text(text, today=date(2025, 11, 20))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000,1000000,5000000")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"{'shape':<14} {'chars':>10} {'seconds':>9} {'µs/char':>8}")
    for name, unit in shapes().items():
        for size in sizes:
            text = (unit * (size // len(unit) + 1))[:size]
            seconds = measure(text)
            print(f"{name:<14} {size:>10,} {seconds:>9.3f} {seconds / size * 1e6:>8.2f}")


if __name__ == "__main__":
    main()
