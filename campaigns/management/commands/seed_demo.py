"""``manage.py seed_demo [--scale demo|city] [--reset]``: the fictional city 示范市 and its logins.

The generator lives in :mod:`campaigns.demo`; this command parses options and prints.
"""

from __future__ import annotations

import time
import unicodedata

from django.core.management.base import BaseCommand, CommandError

from campaigns import demo


def display_width(text: str) -> int:
    """Terminal columns: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def format_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(display_width(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(pad(cell, w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines


class Command(BaseCommand):
    help = (
        "Seed the fictional city 示范市 with organisations, members, a campaign and one login per "
        "role (password demo12345). Does nothing but print the logins if it is already there."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--scale",
            choices=demo.SCALES,
            default=demo.SCALE_DEMO,
            help="demo: ~170 organisations, ~2,000 members (default); city: the seeds' scale, "
            "~12,000 organisations and ~114,000 members (a superset of the demo).",
        )
        parser.add_argument(
            "--reset", action="store_true", help="Delete the demo city and its data first."
        )
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument(
            "--random-seed",
            type=int,
            default=demo.DEFAULT_RANDOM_SEED,
            help="Seed of the generator: the same seed gives the same data.",
        )
        parser.add_argument(
            "--skip-check",
            action="store_true",
            help="Skip treebeard's tree check afterwards (two queries per organisation).",
        )

    def handle(
        self,
        *args,
        scale: str,
        reset: bool,
        batch_size: int,
        random_seed: int,
        skip_check: bool,
        **options,
    ) -> None:
        log = self.stdout.write
        if reset:
            started = time.perf_counter()
            if demo.reset_demo(log=log):
                log(f"Deleted the demo city in {time.perf_counter() - started:.1f} s.")
        try:
            result = demo.seed(scale=scale, batch_size=batch_size, random_seed=random_seed, log=log)
        except demo.SeedError as error:
            raise CommandError(str(error)) from error

        if not result.did_anything:
            log(
                f"The demo city ({demo.ROOT_CODE}) is already there at this scale; nothing to do. "
                "Use --reset to start again."
            )
        else:
            for name, seconds in result.ran:
                log(f"  {name:<16} {seconds:6.1f} s")
            log(self.style.SUCCESS(f"Seeded in {result.seconds:.1f} s."))
            if scale == demo.SCALE_CITY:
                demo.record_seed_timing(scale=scale, seconds=result.seconds)

        log("")
        for label, value in demo.summary_counts().items():
            log(f"  {label:<32} {value:>8,}")

        if not skip_check:
            started = time.perf_counter()
            problems = demo.check_tree()
            labels = (
                "bad characters",
                "bad step length",
                "orphans",
                "wrong depth",
                "wrong numchild",
            )
            found = {label: ids for label, ids in zip(labels, problems, strict=False) if ids}
            seconds = time.perf_counter() - started
            if found:
                details = "; ".join(f"{label}: {ids[:10]}" for label, ids in found.items())
                raise CommandError(f"treebeard find_problems() reports problems: {details}")
            log(f"  tree check (treebeard find_problems): no problems ({seconds:.1f} s)")

        log("")
        log(f"Demo logins (password {demo.DEMO_PASSWORD}):")
        for line in format_table(("username", "role", "organisation"), demo.login_rows()):
            log("  " + line)
        log(f"  Other inspectors, same password: {', '.join(demo.EXTRA_INSPECTORS)}")
