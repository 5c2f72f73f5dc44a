"""The database schema, as migrations numbered by `PRAGMA user_version`.

Times are stored as UTC epoch seconds (REAL) so ordering and due checks are
plain comparisons; the API renders them in the configured time zone.
"""

from __future__ import annotations

import sqlite3

MIGRATIONS: list[str] = [
    # 1: devices, accounts, tasks, and exact per-filter counts.
    """
    CREATE TABLE devices (
        serial        TEXT PRIMARY KEY,
        name          TEXT NOT NULL DEFAULT '',
        model         TEXT NOT NULL DEFAULT '',
        platform      TEXT NOT NULL DEFAULT 'tiktok',
        state         TEXT NOT NULL DEFAULT 'disconnected',
        adb_server    TEXT NOT NULL DEFAULT '',
        apps          TEXT NOT NULL DEFAULT '{}',
        current_account TEXT,
        configured    INTEGER NOT NULL DEFAULT 0,
        first_seen    REAL,
        last_seen     REAL
    );

    CREATE TABLE accounts (
        id            INTEGER PRIMARY KEY,
        username      TEXT NOT NULL,
        platform      TEXT NOT NULL DEFAULT 'tiktok',
        packagename   TEXT NOT NULL DEFAULT '',
        email         TEXT NOT NULL DEFAULT '',
        device        TEXT REFERENCES devices(serial) ON DELETE SET NULL,
        logined       INTEGER NOT NULL DEFAULT 1,
        status        INTEGER NOT NULL DEFAULT 0,
        tags          TEXT NOT NULL DEFAULT '',
        created_at    REAL NOT NULL,
        UNIQUE (platform, username)
    );
    CREATE INDEX accounts_username ON accounts(username);
    CREATE INDEX accounts_device ON accounts(device, id);

    -- AUTOINCREMENT: an id is never reused after a delete, so a client
    -- holding an old id can never see someone else's task under it.
    CREATE TABLE tasks (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        serial        TEXT NOT NULL,
        username      TEXT,
        account_id    INTEGER,
        script_name   TEXT NOT NULL,
        script_config TEXT NOT NULL,
        status        INTEGER NOT NULL DEFAULT 0,
        source        TEXT NOT NULL,
        start_time    TEXT,
        scheduled_at  REAL NOT NULL,
        created_at    REAL NOT NULL,
        started_at    REAL,
        finished_at   REAL,
        retry_count   INTEGER NOT NULL DEFAULT 0,
        error         TEXT,
        result        TEXT
    );
    CREATE INDEX tasks_status ON tasks(status, id);
    CREATE INDEX tasks_serial ON tasks(serial, id);
    CREATE INDEX tasks_script ON tasks(script_name, id);
    CREATE INDEX tasks_source ON tasks(source, id);
    CREATE INDEX tasks_username ON tasks(username, id);
    -- Dispatch order per device: due pending tasks by (scheduled_at, id).
    CREATE INDEX tasks_dispatch ON tasks(serial, scheduled_at, id) WHERE status = 0;
    CREATE INDEX tasks_next_due ON tasks(scheduled_at) WHERE status = 0;

    -- Counts of tasks per combination of the list filters, kept exact by
    -- triggers in the same transaction as every change, so stats and a
    -- filtered list's total never scan the tasks table.
    CREATE TABLE task_counts (
        serial        TEXT NOT NULL,
        username      TEXT NOT NULL,
        script_name   TEXT NOT NULL,
        source        TEXT NOT NULL,
        status        INTEGER NOT NULL,
        n             INTEGER NOT NULL,
        PRIMARY KEY (serial, username, script_name, source, status)
    ) WITHOUT ROWID;

    CREATE TRIGGER tasks_count_insert AFTER INSERT ON tasks BEGIN
        INSERT INTO task_counts VALUES
            (NEW.serial, coalesce(NEW.username, ''), NEW.script_name, NEW.source, NEW.status, 1)
        ON CONFLICT DO UPDATE SET n = n + 1;
    END;

    CREATE TRIGGER tasks_count_delete AFTER DELETE ON tasks BEGIN
        UPDATE task_counts SET n = n - 1
        WHERE serial = OLD.serial AND username = coalesce(OLD.username, '')
          AND script_name = OLD.script_name AND source = OLD.source AND status = OLD.status;
    END;

    CREATE TRIGGER tasks_count_update AFTER UPDATE OF status, username ON tasks
    WHEN OLD.status IS NOT NEW.status OR OLD.username IS NOT NEW.username BEGIN
        UPDATE task_counts SET n = n - 1
        WHERE serial = OLD.serial AND username = coalesce(OLD.username, '')
          AND script_name = OLD.script_name AND source = OLD.source AND status = OLD.status;
        INSERT INTO task_counts VALUES
            (NEW.serial, coalesce(NEW.username, ''), NEW.script_name, NEW.source, NEW.status, 1)
        ON CONFLICT DO UPDATE SET n = n + 1;
    END;
    """,
    # 2: which media files each account has posted, so folder sources never repeat one.
    """
    CREATE TABLE posted_media (
        account       TEXT NOT NULL,  -- "platform:username", or "serial:<serial>" when unknown
        path          TEXT NOT NULL,
        task_id       INTEGER,
        posted_at     REAL NOT NULL,
        PRIMARY KEY (account, path)
    ) WITHOUT ROWID;
    """,
    # 3: per-account daily caps and cooldown; completed tasks per account for the caps.
    """
    ALTER TABLE accounts ADD COLUMN daily_caps TEXT NOT NULL DEFAULT '{}';
    ALTER TABLE accounts ADD COLUMN cooldown_until REAL;
    CREATE INDEX tasks_account_done ON tasks(account_id, script_name, finished_at) WHERE status = 2;
    """,
    # 4: a phone has one active account per app, not one in all; account ids are never reused
    # (AUTOINCREMENT: a client holding a deleted account's id never reaches another account).
    """
    ALTER TABLE devices ADD COLUMN current_accounts TEXT NOT NULL DEFAULT '{}';
    UPDATE devices SET current_accounts = json_object(platform, current_account) WHERE current_account IS NOT NULL;
    ALTER TABLE devices DROP COLUMN current_account;

    CREATE TABLE accounts_new (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        username      TEXT NOT NULL,
        platform      TEXT NOT NULL DEFAULT 'tiktok',
        packagename   TEXT NOT NULL DEFAULT '',
        email         TEXT NOT NULL DEFAULT '',
        device        TEXT REFERENCES devices(serial) ON DELETE SET NULL,
        logined       INTEGER NOT NULL DEFAULT 1,
        status        INTEGER NOT NULL DEFAULT 0,
        tags          TEXT NOT NULL DEFAULT '',
        created_at    REAL NOT NULL,
        daily_caps    TEXT NOT NULL DEFAULT '{}',
        cooldown_until REAL,
        UNIQUE (platform, username)
    );
    INSERT INTO accounts_new SELECT id, username, platform, packagename, email, device, logined, status, tags,
        created_at, daily_caps, cooldown_until FROM accounts;
    -- Ids deleted before this migration are not known, but those a task still names are skipped too.
    INSERT INTO sqlite_sequence (name, seq) SELECT 'accounts_new', coalesce(max(account_id), 0) FROM tasks
        WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'accounts_new');
    UPDATE sqlite_sequence SET seq = max(seq, (SELECT coalesce(max(account_id), 0) FROM tasks))
        WHERE name = 'accounts_new';
    DROP TABLE accounts;
    ALTER TABLE accounts_new RENAME TO accounts;
    CREATE INDEX accounts_username ON accounts(username);
    CREATE INDEX accounts_device ON accounts(device, id);
    """,
    # 5: the material library: every file under the first media root, by content (uploads and
    # files copied there by hand alike); posts remember the content they published.
    """
    CREATE TABLE materials (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        sha256        TEXT NOT NULL UNIQUE,
        path          TEXT NOT NULL UNIQUE,  -- real path, inside the library
        name          TEXT NOT NULL,
        kind          TEXT NOT NULL,          -- video | image
        size          INTEGER NOT NULL,
        mtime         REAL NOT NULL,          -- the file's, when indexed: a changed file is hashed again
        tags          TEXT NOT NULL DEFAULT '[]',
        created_at    REAL NOT NULL
    );
    CREATE INDEX materials_kind ON materials(kind, id);
    ALTER TABLE posted_media ADD COLUMN sha256 TEXT;
    CREATE INDEX posted_media_sha256 ON posted_media(sha256, account);
    """,
    # 6: the event log (every change the daemon publishes, in the transaction that makes it),
    # and how far each webhook endpoint has been delivered.
    """
    CREATE TABLE events (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        at            REAL NOT NULL,
        kind          TEXT NOT NULL,
        serial        TEXT,
        data          TEXT NOT NULL
    );
    CREATE INDEX events_at ON events(at);
    CREATE INDEX events_serial ON events(serial, id);
    CREATE INDEX events_task ON events(json_extract(data, '$.id'), id) WHERE kind = 'task';
    CREATE TABLE webhook_cursors (
        url           TEXT PRIMARY KEY,
        delivered_id  INTEGER NOT NULL,
        updated_at    REAL NOT NULL
    );
    """,
    # 7: tasks per status alone (stats, an unfiltered list's total): four rows to read, where
    # task_counts has a row per device, account, script and source.
    """
    CREATE TABLE task_status_counts (
        status        INTEGER PRIMARY KEY,
        n             INTEGER NOT NULL
    );
    INSERT INTO task_status_counts SELECT status, sum(n) FROM task_counts GROUP BY status;

    CREATE TRIGGER tasks_status_count_insert AFTER INSERT ON tasks BEGIN
        INSERT INTO task_status_counts VALUES (NEW.status, 1) ON CONFLICT DO UPDATE SET n = n + 1;
    END;

    CREATE TRIGGER tasks_status_count_delete AFTER DELETE ON tasks BEGIN
        UPDATE task_status_counts SET n = n - 1 WHERE status = OLD.status;
    END;

    CREATE TRIGGER tasks_status_count_update AFTER UPDATE OF status ON tasks
    WHEN OLD.status IS NOT NEW.status BEGIN
        UPDATE task_status_counts SET n = n - 1 WHERE status = OLD.status;
        INSERT INTO task_status_counts VALUES (NEW.status, 1) ON CONFLICT DO UPDATE SET n = n + 1;
    END;
    """,
]


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the database to the newest schema; returns the version reached."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        raise RuntimeError(
            f"database schema version {version} is newer than this tikmatrixd ({len(MIGRATIONS)})"
        )
    for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
        # executescript commits first; the version bump is part of the script.
        conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
    return len(MIGRATIONS)
