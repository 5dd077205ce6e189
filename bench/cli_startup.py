"""Start-up of the `chiso` command, as a whole process: `chiso --help`, and `chiso chat` in a
pipe answering one line ("diem hien tai") on a ward set up in a temporary SQLite database.
Each is run several times after a warm-up; prints min, median and max of the wall time, and
the modules the chat path imports at start-up (python -X importtime, the ten slowest).

    python bench/cli_startup.py [--runs 7]

Targets (issue #12): `chiso --help` under 0.5 s; a one-line `chiso chat` well under 1 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WARD = ROOT / "examples" / "ward.toml"


def timed(argv: list[str], env: dict[str, str], stdin: str, runs: int) -> list[float]:
    subprocess.run(argv, env=env, input=stdin, capture_output=True, text=True, check=True, cwd=ROOT)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(argv, env=env, input=stdin, capture_output=True, text=True, cwd=ROOT)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed: {done.stderr[-2000:]}")
    return times


def slowest_imports(argv: list[str], env: dict[str, str], stdin: str) -> list[tuple[int, str]]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *argv[1:]],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _self, cumulative, raw = line[len("import time:") :].split("|")
        if not raw[1:].startswith(" "):  # top-level imports only (nested ones are indented)
            rows.append((int(cumulative.strip()), raw.strip()))
    return sorted(rows, reverse=True)[:10]


def show(label: str, times: list[float]) -> None:
    print(
        f"{label:<34} min {min(times):.3f} s   median {statistics.median(times):.3f} s   "
        f"max {max(times):.3f} s   ({len(times)} runs)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **{k: v for k, v in os.environ.items() if not k.endswith("_TOKEN")},
            "DATABASE_URL": f"sqlite:///{Path(tmp) / 'bench.sqlite3'}",
            "LOG_LEVEL": "WARNING",
        }
        cli = [sys.executable, "-m", "bot.cli"]
        subprocess.run([*cli, "setup", str(WARD)], env=env, check=True, capture_output=True)
        show("chiso --help", timed([*cli, "--help"], env, "", args.runs))
        chat = [*cli, "chat", "--as", "admin"]
        show("chiso chat (one line, in a pipe)", timed(chat, env, "diem hien tai\n", args.runs))
        print("\nslowest top-level imports of `chiso chat` (cumulative microseconds):")
        for micros, name in slowest_imports(chat, env, "diem hien tai\n"):
            print(f"  {micros:>8}  {name.strip()}")


if __name__ == "__main__":
    main()
