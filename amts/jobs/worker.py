"""``python -m amts.jobs.worker JOB_ID --store PATH``: the background process ``amts job start`` launches."""

from __future__ import annotations

import argparse
import sys

from amts.jobs.model import COMPLETED, COMPLETED_WITH_ERROR, STOPPED
from amts.jobs.runner import run_job


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m amts.jobs.worker", description=__doc__)
    parser.add_argument("job_id")
    parser.add_argument("--store", required=True)
    args = parser.parse_args(argv)
    state = run_job(args.job_id, args.store)
    return 0 if state in (COMPLETED, COMPLETED_WITH_ERROR, STOPPED) else 1


if __name__ == "__main__":
    sys.exit(main())
