"""How long the free-text intent matcher takes on short messages (it runs on every message
a staff member types that is not a command). Prints min / median / max microseconds per call
for each text, each figure the mean of one round of `--number` calls; the target is well
under 50 µs.

    python bench/intents.py [--number 500] [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import timeit
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from handlers.intents import match_intent

TEXTS = ("điểm hiện tại?", "@chiso_bot xep hang bn", "hôm nay trời đẹp quá")
TARGET = 50e-6  # seconds per call


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--number", type=int, default=500, help="calls per round")
    parser.add_argument("--repeat", type=int, default=7, help="rounds per text")
    args = parser.parse_args()
    match_intent(TEXTS[0])  # load the vocabulary once, outside the figures
    print(f"{'text':<28} {'min µs':>8} {'median':>8} {'max':>8}")
    over = 0
    for text in TEXTS:
        rounds = timeit.repeat(partial(match_intent, text), number=args.number, repeat=args.repeat)
        per_call = [r / args.number for r in rounds]
        best, median, worst = min(per_call), statistics.median(per_call), max(per_call)
        over += best >= TARGET
        print(f"{text!r:<28} {best * 1e6:8.1f} {median * 1e6:8.1f} {worst * 1e6:8.1f}")
    print(f"target: under {TARGET * 1e6:.0f} µs per call (min); over it: {over} of {len(TEXTS)}")


if __name__ == "__main__":
    main()
