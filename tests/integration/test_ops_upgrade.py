"""Upgrades (docs/OPERATIONS.md, "Upgrades"): the previous release's database, migrated by this
one, with the previous release's server still answering while `foliod migrate` runs.

The previous release: releases are commits on main. It is the last commit before the one
that added this tree's newest migration (or HEAD, while the newest migration is not yet
committed) -- the server an operator runs when the new migration arrives. It is built from
`git archive` into build/upgrade/<commit>/ (once; later runs reuse it), migrates a fresh
database with its own sql/ and is seeded through its own API. Then:

- online (the pending migrations do not say `-- upgrade: offline`): the old server keeps
  answering reads while this tree's `foliod migrate` runs, and afterwards still reads,
  writes and reports ready on the migrated schema; then it stops and this tree's server
  starts;
- offline (a pending migration says `-- upgrade: offline`): the old server stops first.

Either way every account, thread and message is there afterwards, an event position from
the old server resumes on the new one, and the upgraded schema is exactly the schema of a
database created by this release from scratch (so no released migration was edited).

Without the repository's history the test fails and says so: CI clones main with it."""

import os
import re
import shutil
import subprocess
import tempfile
import threading

import harness as h
from ops_common import Seed, full_listing, head

ROOT = h.ROOT
CACHE = os.path.join(ROOT, "build", "upgrade")
OFFLINE = re.compile(r"^--\s*upgrade:\s*offline\b", re.M)
# The fields of API.md's contract, compared across releases (a release may add fields).
THREAD_KEYS = ("id", "subject", "account_id", "archived", "assignee_id", "last_message_id")
MESSAGE_KEYS = ("id", "thread_id", "author", "body", "body_html", "internal", "created_at", "mentions")


def git(*args):
    r = subprocess.run(["git", "-C", ROOT, *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise h.Failure(f"git {' '.join(args)}: {r.stderr.strip()}")
    return r.stdout.strip()


def migrations(folder):
    return sorted(f for f in os.listdir(folder) if re.match(r"^\d{3}_.*\.sql$", f))


def previous_release():
    """(commit, why) of the previous release, or a Failure saying what history is missing."""
    if shutil.which("git") is None:
        raise h.Failure("the upgrade test needs git and the repository's history; git is not installed")
    r = subprocess.run(["git", "-C", ROOT, "rev-parse", "--is-shallow-repository"], capture_output=True, text=True)
    if r.returncode != 0:
        raise h.Failure(f"the upgrade test needs the repository's history (releases are commits on main), "
                        f"but {ROOT} is not a git clone: {r.stderr.strip()}")
    if r.stdout.strip() == "true":
        raise h.Failure("the upgrade test needs the repository's history, but this clone is shallow: "
                        "run `git fetch --unshallow` (CI must clone main with its history)")
    newest = migrations(os.path.join(ROOT, "sql"))[-1]
    added = git("log", "--diff-filter=A", "--format=%H", "-1", "HEAD", "--", f"sql/{newest}")
    if not added:
        return git("rev-parse", "HEAD"), f"HEAD ({newest} is not committed yet)"
    parents = git("rev-list", "--parents", "-n", "1", added).split()
    if len(parents) < 2:
        raise h.Failure(f"{newest} was added by the first commit ({added[:10]}): there is no previous release")
    return parents[1], f"the parent of {added[:10]}, which added {newest}"


def build_previous(commit):
    """The previous release's foliod and sql/, built once into build/upgrade/<commit>/."""
    out = os.path.join(CACHE, commit)
    binary = os.path.join(out, "server", "foliod")
    if os.access(binary, os.X_OK):
        return out
    os.makedirs(CACHE, exist_ok=True)
    work = tempfile.mkdtemp(prefix=f".{commit[:10]}-", dir=CACHE)
    try:
        archive = subprocess.run(["git", "-C", ROOT, "archive", "--format=tar", commit], capture_output=True)
        if archive.returncode != 0:
            raise h.Failure(f"git archive {commit}: {archive.stderr.decode(errors='replace')}")
        subprocess.run(["tar", "-x", "-C", work], input=archive.stdout, check=True)
        env = {k: v for k, v in os.environ.items() if k not in ("SANITIZE", "MAKEFLAGS", "MFLAGS")}
        r = subprocess.run(["make", "-C", work, "-j2", "server/foliod"], capture_output=True, text=True, env=env)
        if r.returncode != 0:
            raise h.Failure(f"building the previous release {commit[:10]} failed:\n{r.stdout[-1500:]}\n{r.stderr[-1500:]}")
        shutil.rmtree(os.path.join(work, "build"), ignore_errors=True)  # objects: not needed again
        try:
            os.rename(work, out)  # atomic: a concurrent run either sees all of it or builds its own
        except OSError:
            if not os.access(binary, os.X_OK):
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out


class OldServer(h.Server):
    """A harness server running the previous release's binary and migrations."""

    old = None

    def _swap(self, fn, *args, **kw):
        saved = h.FOLIOD
        h.FOLIOD = os.path.join(self.old, "server", "foliod")
        try:
            return fn(*args, **kw)
        finally:
            h.FOLIOD = saved

    def start(self):
        return self._swap(super().start)

    def create_firm(self, name, email, password, owner_name=None):
        # harness.Server.create_firm would point create-firm (which migrates first) at this
        # tree's sql/: the previous release must see only its own.
        cmd = ["create-firm", "--name", name, "--owner-email", email]
        if owner_name:
            cmd += ["--owner-name", owner_name]
        env = dict(os.environ, FOLIO_DATABASE_URL=self.db.url, FOLIO_SQL_DIR=os.path.join(self.old, "sql"))
        out = subprocess.run([os.path.join(self.old, "server", "foliod"), *cmd], input=password + "\n",
                             capture_output=True, text=True, env=env)
        if out.returncode != 0:
            raise h.Failure(f"create-firm (previous release): {out.stderr.strip()}")
        return int(out.stdout.strip())


def foliod(binary, sql_dir, db, *args):
    env = dict(os.environ, FOLIO_DATABASE_URL=db.url, FOLIO_SQL_DIR=sql_dir)
    return subprocess.run([binary, *args], capture_output=True, text=True, env=env)


def project(full):
    """A listing reduced to the fields both releases share by contract."""
    out = {}
    for who, accounts in full.items():
        out[who] = {aid: [({k: t.get(k) for k in THREAD_KEYS},
                           [{k: m.get(k) for k in MESSAGE_KEYS} for m in msgs]) for t, msgs in acc["threads"]]
                    for aid, acc in accounts.items()}
    return out


def schema(db):
    """The database's schema as pg_dump writes it, without comments and settings."""
    r = subprocess.run(["pg_dump", "--schema-only", "--no-owner", "--no-privileges", "-h", h.PGHOST, "-U", "folio",
                        db.name], capture_output=True, text=True)
    if r.returncode != 0:
        raise h.Failure(f"pg_dump --schema-only: {r.stderr}")
    lines = [l for l in r.stdout.splitlines() if l.strip() and not l.startswith("--") and not l.startswith("SET ")
             and not l.startswith("SELECT pg_catalog.set_config")
             and not l.startswith(("\\restrict ", "\\unrestrict "))]  # pg_dump's random per-run key
    return lines


class Reader:
    """Reads from the old server in a loop until stopped; keeps every answer that was not 200."""

    def __init__(self, client, thread_id):
        self.client, self.thread_id = client, thread_id
        self.ok = 0
        self.bad = []
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        paths = ("/api/v1/threads", f"/api/v1/threads/{self.thread_id}/messages", "/api/v1/accounts", "/healthz")
        i = 0
        while not self.stop_flag.is_set():
            p = paths[i % len(paths)]
            i += 1
            try:
                r = self.client.get(p, timeout=30)
            except OSError as e:
                self.bad.append((p, repr(e)))
                continue
            if r.status == 200:
                self.ok += 1
            else:
                self.bad.append((p, r.status, r.raw[:200]))

    def stop(self):
        self.stop_flag.set()
        self.thread.join(60)
        return self


@h.test
def previous_release_database_migrated_by_this_one():
    commit, why = previous_release()
    old_dir = build_previous(commit)
    old_bin, old_sql = os.path.join(old_dir, "server", "foliod"), os.path.join(old_dir, "sql")
    new_sql = os.path.join(ROOT, "sql")
    pending = [f for f in migrations(new_sql) if f not in migrations(old_sql)]
    h.ok(pending, f"this tree has migrations the previous release ({commit[:10]}: {why}) has not")
    offline = []
    for f in pending:
        with open(os.path.join(new_sql, f)) as fp:
            if OFFLINE.search(fp.read(4000)):
                offline.append(f)

    # The previous release makes and fills its database.
    db = h.Database()
    r = foliod(old_bin, old_sql, db, "migrate")
    h.eq(r.returncode, 0, f"the previous release's migrate: {r.stderr[-1500:]}")
    OldServer.old = old_dir
    old = OldServer(db=db, env={"FOLIO_SQL_DIR": old_sql}, name="foliod-previous")
    seed = Seed(old, accounts=2, threads=2, messages=3)
    cursor = head(seed.f.owner)
    before = project(full_listing(seed))

    if offline:
        # The documented way for a migration the previous release cannot run against.
        old.stop()
        r = foliod(h.FOLIOD, new_sql, db, "migrate")
        h.eq(r.returncode, 0, f"this release's migrate ({', '.join(offline)} offline): {r.stderr[-1500:]}")
        later = None
    else:
        # Stop-free: the old server answers while this release migrates the database...
        reader = Reader(seed.f.owner, seed.threads[0]["id"])
        r = foliod(h.FOLIOD, new_sql, db, "migrate")
        reader.stop()
        h.eq(r.returncode, 0, f"this release's migrate of {', '.join(pending)}: {r.stderr[-1500:]}")
        h.eq(reader.bad, [], f"reads of the old server that failed while {', '.join(pending)} ran "
                             f"({reader.ok} answered)")
        # ...and keeps working on the migrated schema until it is restarted.
        h.eq(project(full_listing(seed)), before, "what the old server shows after the migration")
        later = seed.post(seed.threads[0]["id"], "geschrieben vom alten Server nach der Migration")
        before = project(full_listing(seed))
        r = seed.f.owner.get("/readyz")
        if r.status != 404:  # the previous release may predate /readyz
            h.eq(r.status, 200, f"the old server's /readyz after an online migration (docs/OPERATIONS.md): {r!r}")
        old.stop()

    st = foliod(h.FOLIOD, new_sql, db, "migrate", "--status")
    h.eq(st.returncode, 0, f"migrate --status after the upgrade: {st.stdout}{st.stderr}")
    new = h.Server(db=db, name="foliod-upgraded")
    for _, c in seed.viewers():
        c.srv = new
    h.eq(project(full_listing(seed)), before, "every account, thread and message after the upgrade")
    # The event log carries over: a position from the old server resumes on the new one.
    r = seed.f.owner.must("GET", f"/api/v1/events?since={cursor}&limit=200")
    if later:
        h.ok(any(e.get("message", {}).get("id") == later["id"] for e in r["items"]),
             "the old server's last message is in the stream resumed on the new server")
    m = seed.post(seed.threads[0]["id"], "geschrieben vom neuen Server")
    r = seed.f.owner.must("GET", f"/api/v1/events?since={r['next']}&wait=30")
    h.ok(any(e.get("message", {}).get("id") == m["id"] for e in r["items"]), "new events after the upgrade")
    new.stop()

    # The upgraded schema is this release's schema, exactly.
    fresh = h.Database()
    r = foliod(h.FOLIOD, new_sql, fresh, "migrate")
    h.eq(r.returncode, 0, f"fresh migrate: {r.stderr[-1500:]}")
    up, want = schema(db), schema(fresh)
    if up != want:
        import difflib
        diff = "\n".join(list(difflib.unified_diff(want, up, "fresh", "upgraded", lineterm="", n=1))[:60])
        raise h.Failure("the upgraded schema differs from a fresh one (was a released migration edited? "
                        f"a change belongs in a new file):\n{diff}")


h.main()
