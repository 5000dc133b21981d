"""Ops: `foliod check` (configuration, database, migrations, SMTP; one line each; exit status for
monitoring) and `foliod migrate --status` (applied and pending; non-zero while any is pending)."""
import os
import shutil
import socket
import tempfile

import harness as h
from core_common import foliod

SQL = os.path.join(h.ROOT, "sql")


def smtp_env():
    return {"FOLIO_SMTP_URL": f"smtp://127.0.0.1:{h.SMTP_PORT}"}


def dead_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def lines(out):
    """{check: (ok?, text)} of check's output."""
    res = {}
    for line in out.splitlines():
        word, rest = line.split(None, 1)
        name, text = rest.split(":", 1)
        h.ok(word in ("ok", "FAIL"), f"line {line!r}")
        res[name] = (word == "ok", text.strip())
    return res


def sql_dir_with_extra():
    d = tempfile.mkdtemp(prefix="sql.", dir=h.STATE)
    for f in os.listdir(SQL):
        shutil.copy(os.path.join(SQL, f), d)
    with open(os.path.join(d, "999_extra.sql"), "w") as fh:
        fh.write("CREATE TABLE ops_extra (id int);\n")
    return d


@h.test
def check_passes_on_a_good_setup():
    db = h.Database()
    h.eq(foliod(["migrate"], db).returncode, 0)
    r = foliod(["check"], db, env=smtp_env())
    h.eq(r.returncode, 0, f"check: {r.stdout}{r.stderr}")
    got = lines(r.stdout)
    h.eq(set(got), {"config", "database", "migrations", "smtp"}, r.stdout)
    h.ok(all(ok for ok, _ in got.values()), r.stdout)


@h.test
def check_fails_on_a_wrong_smtp_port():
    db = h.Database()
    h.eq(foliod(["migrate"], db).returncode, 0)
    r = foliod(["check"], db, env={"FOLIO_SMTP_URL": f"smtp://127.0.0.1:{dead_port()}"})
    h.eq(r.returncode, 1, r.stdout)
    got = lines(r.stdout)
    h.eq(got["smtp"][0], False, r.stdout)
    h.ok(got["database"][0] and got["migrations"][0] and got["config"][0], "the other checks still pass")
    r = foliod(["check"], db, env={"FOLIO_SMTP_URL": ""})
    h.eq(r.returncode, 1, "no SMTP at all fails too")
    h.eq(lines(r.stdout)["smtp"][0], False)


@h.test
def check_fails_without_a_database():
    r = foliod(["check"], env={"FOLIO_DATABASE_URL": "postgresql:///nope?host=/nonexistent-folio&connect_timeout=3",
                               **smtp_env()}, timeout=60)
    h.eq(r.returncode, 1, r.stdout)
    got = lines(r.stdout)
    h.eq(got["database"][0], False)
    h.eq(got["migrations"][0], False)
    h.eq(got["smtp"][0], True, "SMTP is checked all the same")


@h.test
def check_fails_with_a_pending_migration():
    db = h.Database()
    h.eq(foliod(["migrate"], db).returncode, 0)
    d = sql_dir_with_extra()
    r = foliod(["check", "--sql-dir", d], db, env=smtp_env())
    h.eq(r.returncode, 1, r.stdout)
    ok, text = lines(r.stdout)["migrations"]
    h.eq(ok, False)
    h.ok("1 pending" in text, text)
    r = foliod(["check"], db, env={**smtp_env(), "FOLIO_METRICS_LISTEN": "nonsense"})
    h.eq(r.returncode, 1)
    h.eq(lines(r.stdout)["config"][0], False, "a bad metrics-listen")
    shutil.rmtree(d)


@h.test
def migrate_status_lists_applied_and_pending():
    db = h.Database()
    files = sorted(f for f in os.listdir(SQL) if f[:3].isdigit() and f.endswith(".sql"))
    r = foliod(["migrate", "--status"], db)
    h.eq(r.returncode, 1, f"a fresh database has everything pending: {r.stdout}{r.stderr}")
    h.eq([l.split()[:2] for l in r.stdout.splitlines()[:-1]], [["pending", f] for f in files])
    h.eq(foliod(["migrate"], db).returncode, 0)
    r = foliod(["migrate", "--status"], db)
    h.eq(r.returncode, 0, r.stdout)
    rows = r.stdout.splitlines()
    h.eq([l.split()[:2] for l in rows[:-1]], [["applied", f] for f in files])
    h.ok(rows[-1].startswith(f"{len(files)} applied, 0 pending"), rows[-1])
    d = sql_dir_with_extra()
    r = foliod(["migrate", "--status", "--sql-dir", d], db)
    h.eq(r.returncode, 1, r.stdout)
    h.ok("pending  999_extra.sql" in r.stdout, r.stdout)
    h.eq(db.sql("SELECT to_regclass('ops_extra') IS NULL"), "t", "--status applies nothing")
    # A migration only the database knows (a newer release ran): named, and non-zero.
    db.sql("INSERT INTO schema_migrations (name) VALUES ('998_newer.sql')")
    r = foliod(["migrate", "--status"], db)
    h.eq(r.returncode, 1, r.stdout)
    h.ok("unknown  998_newer.sql" in r.stdout, r.stdout)
    r = foliod(["migrate", "--bogus"], db)
    h.eq(r.returncode, 2, "migrate takes only --status")
    shutil.rmtree(d)


h.main()
