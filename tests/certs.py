"""A certificate authority of the tests' own, made with openssl: a server certificate for
db.fravaer.test, and enterprise certificates (virksomhetssertifikater) whose subject carries
organizationIdentifier=NTRNO-<orgnr> (OID 2.5.4.97), one expired, one near its end, and one
from another authority."""

import os
import subprocess
from pathlib import Path

CURVE = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


def _openssl(folder: Path, *args: str) -> None:
    subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)


def authority(folder: Path, name: str) -> Path:
    _openssl(folder, "req", "-x509", *CURVE, "-keyout", f"{name}.key", "-out", f"{name}.crt", "-subj",
             f"/CN={name}", "-days", "365")  # fmt: skip
    return folder / f"{name}.crt"


def issue(folder: Path, ca: str, name: str, subject: str, days: int = 30, san: str | None = None) -> dict:
    """A key and a certificate signed by ca (days < 0: expired); {"cert", "key"} paths."""
    extra = ["-addext", f"subjectAltName={san}"] if san else []
    _openssl(folder, "req", "-new", *CURVE, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", subject, *extra)
    _openssl(folder, "x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key",
             "-CAcreateserial", "-days", str(days), "-copy_extensions", "copy", "-out", f"{name}.crt")  # fmt: skip
    os.chmod(folder / f"{name}.key", 0o600)
    return {"cert": folder / f"{name}.crt", "key": folder / f"{name}.key"}


def office_subject(orgnr: str, name: str) -> str:
    return f"/C=NO/O={name}/organizationIdentifier=NTRNO-{orgnr}/CN={name}"


def make(folder: Path, orgnrs: tuple[str, str]) -> dict:
    a, b = orgnrs
    ca = authority(folder, "ca")
    authority(folder, "annen_ca")
    return {
        "ca": ca,
        "other_ca": folder / "annen_ca.crt",
        "server": {**issue(folder, "ca", "server", "/CN=db.fravaer.test", 365, "DNS:db.fravaer.test"), "ca": ca},
        "office": issue(folder, "ca", "kontor_a", office_subject(a, "Legekontoret A"), days=365),
        "other_office": issue(folder, "ca", "kontor_b", office_subject(b, "Legekontoret B"), days=365),
        "expired": issue(folder, "ca", "utlopt", office_subject(a, "Legekontoret A"), days=-1),
        "ending": issue(folder, "ca", "snart", office_subject(a, "Legekontoret A"), days=10),
        # A name that smuggles another office's number into the CN (RFC 2253 escapes its comma).
        "smuggled": issue(
            folder, "ca", "smuglet", office_subject(a, f"Legekontoret A,organizationIdentifier=NTRNO-{b}")
        ),
        "foreign": issue(folder, "annen_ca", "fremmed", office_subject(a, "Legekontoret A")),
    }
