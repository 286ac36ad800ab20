"""The one worker of the seqscan scan queue: `python worker.py` (make run starts it). See seqscan.jobs.worker."""

import sys

from seqscan.jobs.worker import main

if __name__ == "__main__":
    sys.exit(main())
