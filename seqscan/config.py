"""Configuration defaults; each key can be overridden by a SEQSCAN_<KEY> environment variable."""

# Where sequencing runs land. None: `make run` generates a demo tree instead.
SCAN_ROOT = None
# SQLAlchemy URL. None: a SQLite file in the instance folder.
DATABASE_URL = None
REDIS_URL = "redis://127.0.0.1:6379/0"
# Master switches: both must be true for scheduled and button scans.
ENABLED = True
SCAN_DISKS = True
# A file with one of these names prunes a top-level directory or marks a run Skipped.
SKIP_MARKERS = [".variantgrid_skip_flowcell"]
# A directory holding one of these (at its root or under 4_QC/sequencing_stats) is a run.
COMPLETION_MARKERS = ["RTAComplete.txt", "CopyComplete.txt"]
# Directories never descended into, wherever they are: BCL data and instrument logs.
NEVER_DESCEND = ["Data", "Thumbnail_Images", "InterOp", "Logs", "Config", "Recipe"]
# How deep below the scan root run folders are looked for (ROOT/kit/run is depth 2).
MAX_DEPTH = 3
# A folder whose mtime is unchanged is not listed again, if it was older than this when the
# previous scan listed it (guards against coarse NFS mtimes and clock skew).
MTIME_MARGIN_SECONDS = 60
# Layout profile: a built-in name ("tau", "bclconvert") or the path of a TOML file.
LAYOUT = "tau"
# Where each scan's own folder (found-file lists, log) lives. None: instance/scans.
DATA_DIR = None
# How many scans keep their found-file lists (for --reuse-prev-scan-id and debugging).
KEEP_SCAN_LISTS = 10
