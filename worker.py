"""The scan-queue worker. The queue itself arrives with the RQ issue; for now scans run via `flask scan`."""

import sys

if __name__ == "__main__":
    sys.exit("worker.py: the RQ scan queue is not built yet; run scans with `flask scan`")
