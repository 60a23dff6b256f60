"""Engines, sessions and schema upgrades."""

from __future__ import annotations

import fcntl
import logging
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import (
    Connection,
    Engine,
    Insert,
    Table,
    create_engine,
    event,
    inspect,
    literal,
    literal_column,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parents[1] / "migrations"
# Any fixed 64-bit number, the same in every process of every version: it names "the
# Lessonloop migration" among the database's advisory locks. Advisory locks belong to the
# database, not a schema, so this also holds when search_path points at another schema.
MIGRATION_LOCK_KEY = 0x4C6573736F6E6C70  # "Lessonlp"
SQLITE_CACHE_KIB = 65536
BUSY_TIMEOUT_MS = 10000
# How often a writer someone waits on looks for SQLite's write lock held by another process.
URGENT_POLL_S = 0.0005

log = logging.getLogger(__name__)
_T = TypeVar("_T")


def make_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **kwargs)

    engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)

    @event.listens_for(engine, "connect")
    def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, start transactions (see "begin" below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        # The default page cache (2 MB) holds a fraction of 100,000 lessons and their FTS5
        # index, so every search copied most of its pages in from the OS again; 64 MB per
        # connection (allocated as used) keeps a large library's hot pages in process.
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        if parsed.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        # A deferred transaction that reads and then writes can fail at once with
        # "database is locked" when another writer got in between; taking the write lock
        # up front makes busy_timeout apply instead. A read-only session (see Sessions)
        # begins deferred: in WAL mode it then neither waits for nor blocks a writer.
        options = connection.get_execution_options()
        if options.get(SINGLE_STATEMENT):
            return  # the driver's autocommit: each statement is a transaction of its own
        if options.get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")
        elif options.get(URGENT):
            driver = connection.connection.driver_connection
            assert driver is not None
            _begin_urgently(driver)
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _begin_urgently(driver: sqlite3.Connection) -> None:
    """BEGIN IMMEDIATE for a writer someone waits on. SQLite's own busy handler sleeps in
    growing steps (1, 2, 5, 10, 15, 20, 25 ms …) while another process holds the write lock,
    so a lock held for 12 ms costs 18 ms and one held for 20 ms costs 33; this looks again
    every `URGENT_POLL_S` instead, for as long as busy_timeout would have waited."""
    driver.execute("PRAGMA busy_timeout = 0")
    try:
        _begin_polling(driver)
    finally:
        driver.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


def insert_ignoring_conflicts(table: Table, dialect: str) -> Insert:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING 1 for `table`, to execute with a dict of
    values (built once and reused: its compiled form is cached)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(table).on_conflict_do_nothing().returning(literal(1))


def insert_if_absent(session: Session, entity: type[Any], **values: Any) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING in one statement; True when the row was new."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(entity).values(**values).on_conflict_do_nothing().returning(literal(1))
    return session.execute(statement).first() is not None


READ_ONLY = "lessonloop_read_only"
URGENT = "lessonloop_urgent"
SINGLE_STATEMENT = "lessonloop_single_statement"


class WriteTurns:
    """SQLite has one write lock, and a writer that finds it taken sleeps in growing steps
    (1, 2, 5, 10 ms …) before it looks again. Writers of one process take turns here
    instead, so the next one starts the moment the last one commits; and a writer that
    someone is waiting on (storing an event before Slack gets its 200) goes before the
    background work queued behind it."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._holder: int | None = None
        self._urgent = 0

    @contextmanager
    def turn(self, *, urgent: bool) -> Iterator[None]:
        me = threading.get_ident()
        if self._holder == me:  # a write inside a write: SQLite itself will answer that
            yield
            return
        with self._changed:
            self._urgent += urgent
            try:
                while self._holder is not None or (not urgent and self._urgent):
                    self._changed.wait()
            finally:
                self._urgent -= urgent
            self._holder = me
        try:
            yield
        finally:
            with self._changed:
                self._holder = None
                self._changed.notify_all()


class Sessions(sessionmaker[Session]):
    """`sessions()` is a read-only session; `sessions.begin()` a transaction that writes.

    The difference matters on SQLite, where a transaction that will write takes the one
    write lock when it begins, and a read need not: with reads marked, a burst of reads
    (listings, the Home tab, similarity checks) does not queue the writes that store
    Slack's events before their acknowledgement."""

    def __init__(self, engine: Engine, **kw: Any) -> None:
        super().__init__(engine, **kw)
        self._engine = engine
        self._turns = WriteTurns() if engine.dialect.name == "sqlite" else None

    def __call__(self, **local_kw: Any) -> Session:
        session = super().__call__(**local_kw)
        session.connection(execution_options={READ_ONLY: True})
        return session

    @property
    def engine(self) -> Engine:
        return self._engine

    @contextmanager
    def begin(self, *, urgent: bool = False) -> Iterator[Session]:
        """A transaction that writes; `urgent` when someone is waiting on it."""
        with self._turn(urgent), super().__call__() as session, session.begin():
            yield session

    @contextmanager
    def begin_connection(self, *, urgent: bool = False) -> Iterator[Connection]:
        """A transaction that writes, on a bare Connection: no ORM session to build, for a
        hot single-statement write that someone waits on (storing an event before Slack
        gets its 200 costs a third of the CPU this way)."""
        with (
            self._turn(urgent),
            self._engine.connect().execution_options(**{URGENT: urgent}) as connection,
            _no_checkpoint(connection, urgent),
            connection.begin(),
        ):
            yield connection

    @contextmanager
    def single_statements(self) -> Iterator[Connection]:
        """On SQLite, a connection on which each statement is a transaction of its own, so
        a write holds the lock only while SQLite runs it, not across the Python around it
        (compiling, fetching, committing): for a short write to a file that someone else
        is waiting to write to (the purge of the inbox file's old events, and its log's
        checkpoints, done at idle CPU priority, where a preempted transaction would keep the
        web process waiting). Elsewhere an ordinary transaction."""
        if self._turns is None:
            with self._engine.begin() as connection:
                yield connection
            return
        with (
            self._turn(False),
            self._engine.connect().execution_options(**{SINGLE_STATEMENT: True}) as connection,
        ):
            yield connection
            connection.commit()  # nothing is open: ends SQLAlchemy's own bookkeeping

    def urgent_insert(self, table: Table) -> UrgentInsert | None:
        """On SQLite, a prepared INSERT … ON CONFLICT DO NOTHING for `table` on each
        thread's own driver connection (see UrgentInsert); None elsewhere."""
        if self._turns is None or self._engine.url.database in (None, "", ":memory:"):
            return None
        return UrgentInsert(self._engine, table, self._turns)

    def _turn(self, urgent: bool) -> AbstractContextManager[None]:
        return self._turns.turn(urgent=urgent) if self._turns is not None else nullcontext()


@contextmanager
def _no_checkpoint(connection: Connection, urgent: bool) -> Iterator[None]:
    # In WAL mode the commit that takes the log past `wal_autocheckpoint` pages copies the
    # log into the database, with an fsync, before it returns: tens of milliseconds. A
    # commit that someone waits on leaves that to the next commit nobody waits on.
    if not urgent or connection.dialect.name != "sqlite":
        yield
        return
    driver = connection.connection.driver_connection
    assert driver is not None
    (pages,) = driver.execute("PRAGMA wal_autocheckpoint").fetchone()
    driver.execute("PRAGMA wal_autocheckpoint = 0")
    try:
        yield
    finally:
        driver.execute(f"PRAGMA wal_autocheckpoint = {int(pages)}")


class UrgentInsert:
    """The hottest write there is, storing an event before its 200, at the driver level.

    Through the pool and Core it costs about 0.25 ms of CPU, most of it not SQLite's: a
    pool checkout, compiling-cache look-ups, events, and the pragmas that make a pooled
    connection urgent and then ordinary again. Here each thread keeps a connection of its
    own that is always urgent (it looks for the write lock every `URGENT_POLL_S` and never
    checkpoints the WAL, which the next ordinary writer does), and the statement and its
    parameter conversions are prepared once from the table: about 0.06 ms. Writers of the
    process still take turns with the others (WriteTurns), first in line."""

    def __init__(self, engine: Engine, table: Table, turns: WriteTurns) -> None:
        self._database, self._turns = str(engine.url.database), turns
        columns = [column for column in table.columns if not column.primary_key]
        compiled = (
            sqlite.insert(table)
            .on_conflict_do_nothing()
            .returning(literal_column("1"))
            .compile(dialect=engine.dialect, column_keys=[column.name for column in columns])
        )
        self._sql = str(compiled)
        # Parameters in the statement's order, each with its type's conversion (dates to
        # SQLite's text form, JSON to text, enums to their values), as Core would do.
        assert compiled.positiontup is not None
        self._params = [
            (name, table.columns[name].type.bind_processor(engine.dialect))
            for name in compiled.positiontup
        ]
        self._local = threading.local()

    def __call__(self, values: dict[str, Any]) -> bool:
        """Insert one row (missing columns are NULL); False when it was there already."""
        row = tuple(
            convert(values.get(name)) if convert is not None else values.get(name)
            for name, convert in self._params
        )
        driver = self._driver()
        with self._turns.turn(urgent=True):
            # One statement in the driver's autocommit mode, a transaction of its own: one
            # call into SQLite instead of three (BEGIN, INSERT, COMMIT). Each call gives up
            # the GIL, and under a burst taking it back costs up to a switch interval while
            # the other request threads verify and parse; the lock is held for less too.
            return _polling(lambda: driver.execute(self._sql, row).fetchall()) != []

    def _driver(self) -> sqlite3.Connection:
        driver: sqlite3.Connection | None = getattr(self._local, "driver", None)
        if driver is None:
            driver = sqlite3.connect(self._database, isolation_level=None, timeout=0)
            driver.execute("PRAGMA busy_timeout = 0")
            driver.execute("PRAGMA journal_mode = WAL")
            driver.execute("PRAGMA synchronous = NORMAL")
            driver.execute("PRAGMA wal_autocheckpoint = 0")
            self._local.driver = driver
        return driver


def _begin_polling(driver: sqlite3.Connection) -> None:
    """BEGIN IMMEDIATE on a connection whose busy_timeout is 0, looking again every
    `URGENT_POLL_S` for as long as busy_timeout would have waited."""
    _polling(lambda: driver.execute("BEGIN IMMEDIATE"))


def _polling(attempt: Callable[[], _T]) -> _T:
    """`attempt` (which takes SQLite's write lock, or changes nothing) until the lock is
    free, looking again every `URGENT_POLL_S` for as long as busy_timeout would wait."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            return attempt()
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                raise
        time.sleep(URGENT_POLL_S)


def make_sessions(engine: Engine) -> Sessions:
    return Sessions(engine, expire_on_commit=False)


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_schema(engine: Engine) -> bool:
    """Bring the database to the newest revision; safe to run on every start, from any
    number of processes at once: one migrates, the others wait and then find it current.
    True when migrations ran, False when the schema was already current."""
    with (
        _sqlite_migration_lock(engine),
        engine.connect() as connection,
        _postgresql_migration_lock(connection),
        _sqlite_foreign_keys_off(connection),
        connection.begin(),
    ):
        # Checked under the lock, so a process that waited for another's migration sees
        # its result. Alembic (and Mako and Pygments with it) costs a tenth of a second to
        # import and more to load every revision: only a database behind pays for it.
        if _schema_is_current(connection):
            return False
        from alembic import command

        config = alembic_config(engine.url.render_as_string(hide_password=False))
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        return True


_REVISION = re.compile(r"""^revision(?:\s*:\s*str)?\s*=\s*["']([^"']+)["']""", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision\b[^=]*=\s*(.+)$", re.MULTILINE)


def script_heads() -> frozenset[str] | None:
    """The newest revisions in migrations/versions, read from the files' own `revision`
    and `down_revision` lines without importing Alembic; None when a file does not read
    as a plain revision (Alembic then decides, as before)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        if path.name == "__init__.py":
            continue
        source = path.read_text(encoding="utf-8")
        revision, down = _REVISION.search(source), _DOWN_REVISION.search(source)
        if revision is None or down is None:
            return None
        revisions.add(revision[1])
        parents.update(re.findall(r"""["']([^"']+)["']""", down[1]))
    heads = frozenset(revisions - parents)
    return heads if heads and parents <= revisions else None


def _schema_is_current(connection: Connection) -> bool:
    if not inspect(connection).has_table("alembic_version"):
        return False
    heads = script_heads()
    versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
    return heads is not None and frozenset(versions) == heads


@contextmanager
def _postgresql_migration_lock(connection: Connection) -> Iterator[None]:
    # Without it two processes starting on an empty database both try to create
    # alembic_version and one crashes. A session lock, not a transaction lock, so that a
    # future migration that commits part-way (autocommit_block) stays covered.
    if connection.dialect.name != "postgresql":
        yield
        return
    key = {"key": MIGRATION_LOCK_KEY}
    if not connection.execute(text("SELECT pg_try_advisory_lock(:key)"), key).scalar_one():
        log.info("another process is migrating the database; waiting for it")
        connection.execute(text("SELECT pg_advisory_lock(:key)"), key)
    connection.commit()
    try:
        yield
    finally:
        try:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), key)
            connection.commit()
        except Exception:
            # The lock lives as long as the server session: dropping the connection ends
            # it, rather than returning a connection that still holds it to the pool.
            connection.invalidate()
            raise


@contextmanager
def _sqlite_foreign_keys_off(connection: Connection) -> Iterator[None]:
    # SQLite changes a table's columns by rebuilding it (Alembic's batch mode), and with
    # foreign keys on, dropping the old parent table deletes its children (ON DELETE
    # CASCADE). The pragma is ignored inside a transaction, so it is set on the driver's
    # connection before the migration's transaction begins, and checked after it commits.
    if connection.dialect.name != "sqlite":
        yield
        return
    driver = connection.connection.driver_connection
    assert driver is not None
    driver.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
        broken = driver.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"the migration left rows without their parents: {broken[:5]}")
    finally:
        driver.execute("PRAGMA foreign_keys = ON")


@contextmanager
def _sqlite_migration_lock(engine: Engine) -> Iterator[None]:
    # SQLite's own write lock gives up after busy_timeout, and a first migration can take
    # longer than that; a file lock beside the database waits as long as it takes.
    database = engine.url.database
    if engine.dialect.name != "sqlite" or database in (None, "", ":memory:"):
        yield
        return
    path = Path(f"{database}.migrate-lock")
    with path.open("a") as lock_file:
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.info("another process is migrating the database; waiting for it")
            fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def is_reachable(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:  # any driver error means "not reachable" to a health check
        return False
    return True
