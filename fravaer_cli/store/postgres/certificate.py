"""A client certificate's subject and expiry, read from its PEM file for `database status`: the few
fields of X.509's DER that are needed, so that no package is added for them."""

import base64
import re
from datetime import UTC, datetime

# The names of a subject's attributes, as RFC 2253 and OpenSSL write them.
NAMES = {
    "2.5.4.3": "CN",
    "2.5.4.5": "serialNumber",
    "2.5.4.6": "C",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "2.5.4.97": "organizationIdentifier",
}


class Unreadable(ValueError):
    pass


def _element(data: bytes, at: int) -> tuple[int, int, int]:
    """The tag, the start of the content and its end, of the DER element at `at`."""
    if at + 2 > len(data):
        raise Unreadable("kort")
    tag, length, start = data[at], data[at + 1], at + 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4:
            raise Unreadable("lengde")
        length, start = int.from_bytes(data[start : start + count], "big"), start + count
    if start + length > len(data):
        raise Unreadable("lengde")
    return tag, start, start + length


def _children(data: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    found = []
    while start < end:
        element = _element(data, start)
        found.append(element)
        start = element[2]
    return found


def _oid(raw: bytes) -> str:
    parts, value = [raw[0] // 40, raw[0] % 40], 0
    for byte in raw[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(value)
            value = 0
    return ".".join(map(str, parts))


def _time(tag: int, raw: bytes) -> datetime:
    text = raw.decode("ascii")
    if tag == 0x17:  # UTCTime: YYMMDDHHMMSSZ
        year = int(text[:2])
        text = str(1900 + year if year >= 50 else 2000 + year) + text[2:]
    return datetime.strptime(text, "%Y%m%d%H%M%SZ").replace(tzinfo=UTC)


def read(pem: str) -> tuple[str, datetime]:
    """The first certificate in pem: its subject (as `C=NO, O=…, organizationIdentifier=…, CN=…`)
    and the moment it expires. Unreadable when it is no certificate."""
    found = re.search(r"-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----", pem, re.S)
    if not found:
        raise Unreadable("ingen PEM")
    try:
        data = base64.b64decode("".join(found[1].split()), validate=True)
        _, start, end = _element(data, 0)
        _, start, end = _children(data, start, end)[0]  # tbsCertificate
        fields = _children(data, start, end)
        if fields[0][0] == 0xA0:  # [0] version
            fields = fields[1:]
        validity, subject = fields[3], fields[4]
        not_after = _children(data, validity[1], validity[2])[1]
        ends = _time(not_after[0], data[not_after[1] : not_after[2]])
        names = []
        for _, set_start, set_end in _children(data, subject[1], subject[2]):
            for _, pair_start, pair_end in _children(data, set_start, set_end):
                oid, value = _children(data, pair_start, pair_end)[:2]
                key = _oid(data[oid[1] : oid[2]])
                raw = data[value[1] : value[2]]
                text = raw.decode("utf-16-be") if value[0] == 0x1E else raw.decode("utf-8", "replace")
                names.append(f"{NAMES.get(key, key)}={text}")
    except (IndexError, ValueError, UnicodeDecodeError) as e:
        raise Unreadable(str(e)) from None
    return ", ".join(names), ends
