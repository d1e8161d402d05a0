"""A real PostgreSQL server for the tests, started from the system's binaries (Debian's
`postgresql`), listening only on a Unix socket in a folder of its own.

A server does not run as root: as root (CI), it runs as the `postgres` user.
Logins: `eier` owns the databases and is in fravaer_admin after `database init`;
`kari` and `ola` are ordinary logins; `kim` is in fravaer_kundesenter, `ada` in
fravaer_admin. Each has the password `pw-<login>`; the server checks passwords
(scram-sha-256) for all but `postgres`.
"""

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

LOGINS = ("eier", "kari", "ola", "kim", "ada")


def binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


def as_server_user(command: list[str], folder: Path, user: str | None) -> list[str]:
    """command as the server's user (user: None when the tests do not run as root), with folder and
    its files given to that user: PgBouncer does not run as root."""
    if not user:
        return command
    entry = pwd.getpwnam(user)
    os.chmod(folder, 0o755)
    for path in [folder, *folder.iterdir()]:
        os.chown(path, entry.pw_uid, entry.pw_gid)
    return ["runuser", "-u", user, "--", *command]


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """tcp: also listen on 127.0.0.1, on a free port (self.port). tls: the server's certificate,
    key and the authority its clients' certificates must come from ({"cert", "key", "ca"}), for
    ssl = on. hba and ident: pg_hba.conf lines after the socket's, and pg_ident.conf."""

    def __init__(self, tcp: bool = False, tls: dict | None = None, hba: str = "", ident: str = ""):
        self.tcp, self.tls, self.extra_hba, self.ident = tcp or tls is not None, tls, hba, ident
        if self.tcp:
            self.port = free_port()
        self.bin = binaries()
        self.base = Path(tempfile.mkdtemp(prefix="fravaer-pg-"))
        self.data = self.base / "data"
        self.socket = self.base / "sock"
        self.socket.mkdir()
        self.user = "postgres" if os.geteuid() == 0 else None
        os.chmod(self.base, 0o755)
        if self.user:
            entry = pwd.getpwnam(self.user)
            for path in (self.base, self.socket):
                os.chown(path, entry.pw_uid, entry.pw_gid)

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        command = list(args)
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=True, cwd=self.base)

    def start(self) -> "Server":
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        # peer_kari logs in by peer only (the system user must be peer_kari): a refusal that is no wrong password.
        hba = (
            "local all postgres trust\nlocal replication postgres trust\nlocal all peer_kari peer\n"
            "local all all scram-sha-256\n"
        )
        self._run("sh", "-c", f"printf '{hba}' > {self.data}/pg_hba.conf")
        options = f"-c listen_addresses='' -c unix_socket_directories='{self.socket}' -c fsync=off"
        if self.tcp:
            (self.base / "hba").write_text(self.extra_hba)
            (self.base / "ident").write_text(self.ident)
            self._run("sh", "-c", f"cat hba >> {self.data}/pg_hba.conf && cat ident > {self.data}/pg_ident.conf")
            options = f"-c listen_addresses='127.0.0.1' -p {self.port} -c unix_socket_directories='{self.socket}'"
            options += " -c fsync=off"
        if self.tls:
            for name in ("cert", "key", "ca"):
                shutil.copy(self.tls[name], self.base / f"server.{name}")
                if self.user:
                    entry = pwd.getpwnam(self.user)
                    os.chown(self.base / f"server.{name}", entry.pw_uid, entry.pw_gid)
                os.chmod(self.base / f"server.{name}", 0o600)
            options += (
                f" -c ssl=on -c ssl_cert_file={self.base}/server.cert -c ssl_key_file={self.base}/server.key"
                f" -c ssl_ca_file={self.base}/server.ca"
            )
        log = str(self.base / "log")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-w", "-l", log, "start")
        for login in LOGINS:
            extra = " CREATEDB CREATEROLE" if login == "eier" else ""
            self.sql("postgres", f"CREATE ROLE {login} LOGIN PASSWORD 'pw-{login}'{extra}")
        return self

    def standby(self) -> "Server":
        """A streaming replica of this server (pg_basebackup -R), on port 5433 in the same socket
        folder, started and read-only. Its stop() stops it; promote() makes it a primary."""
        replica = Server.__new__(Server)
        replica.bin, replica.user, replica.socket = self.bin, self.user, self.socket
        replica.base = Path(tempfile.mkdtemp(prefix="fravaer-pg-standby-"))
        os.chmod(replica.base, 0o755)
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(replica.base, entry.pw_uid, entry.pw_gid)
        replica.data = replica.base / "data"
        replica.port = 5433
        self._run(
            str(self.bin / "pg_basebackup"),
            "-h",
            str(self.socket),
            "-U",
            "postgres",
            "-D",
            str(replica.data),
            "-R",
            "-c",
            "fast",
        )
        options = f"-c listen_addresses='' -c unix_socket_directories='{self.socket}' -c fsync=off -p 5433"
        log = str(replica.base / "log")
        replica._run(str(self.bin / "pg_ctl"), "-D", str(replica.data), "-o", options, "-w", "-l", log, "start")
        return replica

    def promote(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-w", "promote")

    def stop(self) -> None:
        try:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.base, ignore_errors=True)

    def dsn(self, login: str = "eier", database: str = "postgres", password: str | None = None) -> str:
        password = f"pw-{login}" if password is None else password
        port = f" port={self.port}" if getattr(self, "port", None) else ""
        return f"host={self.socket}{port} dbname={database} user={login} password={password}"

    def sql(self, database: str, statement: str, login: str = "postgres"):
        import psycopg2

        port = f" port={self.port}" if getattr(self, "tcp", False) else ""
        dsn = f"host={self.socket}{port} dbname={database} user={login}"
        if login != "postgres":
            dsn += f" password=pw-{login}"
        conn = psycopg2.connect(dsn)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(statement)
                return cur.fetchall() if cur.description else None
        finally:
            conn.close()
