"""Configuration defaults; each key can be overridden by a SEQSCAN_<KEY> environment variable.

Each default's type is its setting's type: every value is checked and converted to it at start
(seqscan.settings_check), so a duration that may be fractional has a float default."""

# Where sequencing runs land. None: `make run` generates a demo tree instead. The one-root
# shorthand: SCAN_ROOT read with LAYOUT (and ROOT_SENTINEL) is the root ROOTS would list alone.
SCAN_ROOT = None
# Several roots: `[[roots]]` tables in instance/seqscan.toml, each with name (short, for pages and
# `flask scan --root NAME`), path, and optional layout (default: LAYOUT), sentinel and queue (an RQ
# queue of its own, served by its own worker; default: SCAN_QUEUE). Not together with SCAN_ROOT.
ROOTS: list[dict] = []
# SQLAlchemy URL. None: a SQLite file in the instance folder.
DATABASE_URL = None
REDIS_URL = "redis://127.0.0.1:6379/0"
# The schema is upgraded by `flask init-db` (or `flask db upgrade`; `make run` runs it). A web app,
# worker or scheduler that finds it behind says so and exits 2, rather than each of them (every
# gunicorn worker too) altering tables as it starts. True: upgrade it at start instead.
UPGRADE_ON_START = False
# Master switches: both must be true for scheduled and button scans.
ENABLED = True
SCAN_DISKS = True
# A file with one of these names prunes a top-level directory or marks a run Skipped.
SKIP_MARKERS = [".variantgrid_skip_flowcell"]
# A directory holding one of these (at its root or under 4_QC/sequencing_stats) is a run.
COMPLETION_MARKERS = ["RTAComplete.txt", "CopyComplete.txt"]
# Directories never descended into, wherever they are: BCL data and instrument logs.
NEVER_DESCEND = ["Data", "Thumbnail_Images", "InterOp", "Logs", "Config", "Recipe"]
# A symlinked folder is walked only when it leads inside the scan root or one of these folders
# (labs link runs across volumes); any other is a warning on its run and nothing below it is recorded.
SYMLINK_ROOTS: list[str] = []
# How many threads list folders and stat files at once, in Scanning Files and Create Models: on a
# network disk (NFS, SMB) each call waits a round trip, and the server answers several at once.
# 1: one call at a time. The threads are used only while calls take over 0.1 ms on average (a
# round trip; scanner/disk.py): on a local disk they would only contend for the interpreter lock.
# The database is written by one thread whatever this is.
SCAN_THREADS = 8
# How deep below the scan root run folders are looked for (ROOT/kit/run is depth 2).
MAX_DEPTH = 3
# A folder whose mtime is unchanged is not listed again, if it was older than this when the
# previous scan listed it (guards against coarse NFS mtimes and clock skew).
MTIME_MARGIN_SECONDS = 60.0
# A lost mount is not a deletion: a scan that would mark more than MAX_VANISHED_RUNS runs, or more
# than MAX_VANISHED_FRACTION of the runs it knew under its root, Deleted at once marks none and
# ends in Error (`flask scan --accept-vanished` applies them).
MAX_VANISHED_RUNS = 5
MAX_VANISHED_FRACTION = 0.2
# A file name that must exist in the scan root (e.g. ".seqscan_root"), else the scan ends in Error
# at once: a mount point without its disk looks like an empty folder. None: not checked.
ROOT_SENTINEL = None
# Read the last 28 bytes of each new or changed .gz / .bam file: a BGZF file (BAM, bgzipped VCF,
# FASTQ) without its end-of-file block is a copy that stopped half-way, and is Error. Plain gzip
# files are left alone; unchanged files are never read again.
CHECK_BGZF_EOF = True
# A sample sheet listing more samples is not read (its run is Error, with the count): one huge
# sheet must not take the machine's memory, nor its run page every viewer's browser.
MAX_SAMPLES_PER_SHEET = 10_000
# A SampleSheet.csv, RunInfo.xml or RunParameters.xml larger than this many bytes is not read (its
# run is Error, with the size): real ones are kilobytes, and a parse holds a file in memory several
# times over, so a 60 MB "sheet" must not reach the parser at all.
MAX_SHEET_BYTES = 16 * 2**20
# Layout profile: a built-in name ("tau", "bclconvert") or the path of a TOML file.
LAYOUT = "tau"
# Where each scan's own folder (found-file lists, log) lives. None: instance/scans.
DATA_DIR = None
# How many scans keep their found-file lists (for --reuse-prev-scan-id and debugging).
KEEP_SCAN_LISTS = 10

# --- The scan queue, its worker and the schedule ---
# The RQ queue scans run on; one worker serves it, so scans never overlap.
SCAN_QUEUE = "seqscan_single_worker"
# A scan of a large disk can take hours; RQ's default job timeout (180 s) would kill it.
SCAN_JOB_TIMEOUT_SECONDS = 12 * 3600
# How long Redis keeps finished and failed job records (the database keeps the scans).
JOB_RESULT_TTL_SECONDS = 7 * 24 * 3600
JOB_FAILURE_TTL_SECONDS = 30 * 24 * 3600
# Cron strings, evaluated in TIMEZONE (the lab's wall clock, daylight saving included).
SCHEDULE = ["0 6 * * *", "0 19 * * *"]
# A scheduled slot with no scan this long after it is shown as overdue on the home page.
SCHEDULE_GRACE_MINUTES = 30.0
TIMEZONE = "UTC"
# The worker's log file (rotated); relative paths are relative to the project folder.
WORKER_LOG = "logs/seqscan_single_worker.log"
# A running scan proves it is alive every HEARTBEAT_SECONDS; one silent for STALE_AFTER_SECONDS
# is taken as dead ("interrupted") and no longer blocks the next scan.
HEARTBEAT_SECONDS = 5.0
STALE_AFTER_SECONDS = 30.0
# Scripts and Jobs: when true, for each Non-existent file whose type has a command template
# here, a command is run (and recorded in the scan's folder). Templates are split into arguments
# like a shell would, filled in with {path} (absolute file path), {run_path}, {run}, {sample},
# {file_type} each inside its own argument, and run without a shell; none is run for a {path} or
# {run_path} outside the scan root and SYMLINK_ROOTS (a symlinked folder can lead out).
SCRIPTS_AND_JOBS = False
SCRIPT_TEMPLATES: dict[str, str] = {}
SCRIPT_TIMEOUT_SECONDS = 3600.0
# Pause after each run folder in Scanning Files and Create Models. 0 in production; the demo
# and the tests slow scans down with it so that they can be watched (or interrupted).
PAUSE_PER_RUN_SECONDS = 0.0

# --- The web admin ---
# Signs the session cookie. None: a random key kept in instance/secret_key (created once).
SECRET_KEY = None
# When set (e.g. "X-Remote-User"), a reverse proxy's authenticated user name in this header
# signs that (existing) user in. Only set it behind a proxy that always sets or strips it.
TRUSTED_USER_HEADER = None
SESSION_COOKIE_SAMESITE = "Lax"
# None: the session cookie is Secure whenever the request came over HTTPS; true: always; false: never.
SESSION_COOKIE_SECURE = None
# How many reverse proxies (nginx, Apache) stand in front of the app: their X-Forwarded-For and
# X-Forwarded-Proto are then trusted for the client address and for HTTPS. 0: none, trust nothing.
PROXY_COUNT = 0
# How often open pages ask again, while their tab is visible (a hidden tab does not ask): an active
# scan's row and page, the status page, the health strip on every page, and the home page's check
# for a newer scan. Each poll is a request that reads the database (and Redis, for the strip and
# the status page): shorter is livelier and costs more. The tests shorten them.
SCAN_POLL_SECONDS = 2.0
STATUS_POLL_SECONDS = 5.0
HEALTH_POLL_SECONDS = 10.0
HOME_POLL_SECONDS = 30.0
# --- Alerts (seqscan/alerts.py): e-mail and/or a JSON webhook ---
# smtp://[user:password@]host[:port][?starttls] or smtps://...; with ALERT_EMAILS (a list).
SMTP_URL = None
ALERT_EMAILS = []
ALERT_FROM = None  # default seqscan@<this host>
ALERT_WEBHOOK_URL = None  # a JSON POST with a Slack/Teams-style "text" and structured fields
# No successful scheduled scan for this long is an alert (the scheduler checks).
STALE_AFTER_HOURS = 14.0
# The worker or the scheduler down for this long is an alert.
DOWN_ALERT_MINUTES = 10.0
# Addresses or networks that may read /metrics without signing in (Prometheus scrapes it).
METRICS_ALLOW = ["127.0.0.1", "::1"]
# A signed-in session ends this many hours after sign-in (sign-out, a new password or role end it
# at once, on every browser).
SESSION_HOURS = 12.0
# Failed sign-ins allowed before the form refuses (429) for a while: per client address, and per
# user name whatever the address. Flask-Limiter's notation; counted in Redis, in memory while it is down.
SIGN_IN_LIMIT_PER_ADDRESS = "20 per 10 minutes"
SIGN_IN_LIMIT_PER_USER = "10 per 10 minutes"
