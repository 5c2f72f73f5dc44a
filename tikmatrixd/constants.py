"""Every limit and timeout in one place, each with the reason for its value."""

# Lists a client can send are bounded (marshmallow GHSA-428g-f7cq-pgp5 is
# about unbounded many=True): 1000 is well above a farm's device count.
MAX_SERIALS = 1000
MAX_USERNAMES = 1000
MAX_TARGET_USERS = 1000
# SPEC: material_list holds 1-100 paths; a batch delete 1-1000 ids.
MAX_MATERIALS = 100
MAX_BATCH_DELETE = 1000
# SPEC: at most 35 images in one post (the apps' own carousel limit).
MAX_IMAGES = 35
# Captions are short on both apps (TikTok 4000, Instagram 2200 characters);
# 10,000 leaves room for spintax alternatives.
MAX_CAPTION_CHARS = 10_000

# SPEC: 1 MiB request bodies and 10,000 tasks per request by default.
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
DEFAULT_MAX_TASKS_PER_REQUEST = 10_000

# Pagination per SPEC.
DEFAULT_PAGE_SIZE = 20
# Most devices one /accounts/match request may name.
MAX_MATCH_SERIALS = 1000
MAX_PAGE_SIZE = 100
#: The last page any list can have: its offset stays within SQLite's 64-bit integers.
MAX_PAGE = (2**63 - 1) // MAX_PAGE_SIZE

# systemd gives us 10 s between SIGTERM and SIGKILL by default on our unit
# (TimeoutStopSec=10); leave room for the store to close after HTTP drains.
HTTP_SHUTDOWN_TIMEOUT = 5.0

# /api/v1/events: proxies and browsers drop a connection idle for 30-60 s;
# a comment every 15 s keeps it open (aiohttp-sse and most SSE servers pick 15 s).
EVENTS_PING_INTERVAL = 15.0
# A client that has not taken a write for 30 s is stalled: its connection is
# aborted rather than left holding a handler (and shutdown) indefinitely.
EVENTS_SEND_TIMEOUT = 30.0

#: A request header: tasks created from the daemon's own command line or dashboard carry
#: ``source`` "ui" (SPEC, task object); any other client's are "api".
SOURCE_HEADER = "X-Tikmatrixd-Source"
