"""The one cached HTTP layer every online fetch goes through.

Responses are cached on disk under ``HOTSPOTS_CACHE_DIR/http`` keyed by method, URL and
body, so a repeated notebook run makes no requests. With ``HOTSPOTS_OFFLINE=1`` (or no
network) a fetch that is not cached raises :class:`~hotspots.OfflineError` carrying the
caller's advice on which file to download instead.

The cache is safe to interrupt and to share:

* an entry is written to a temporary file in the same folder and renamed into place, so
  a reader (another process, another notebook) sees the whole entry or none of it;
* each entry stores the SHA-256 of its body; a truncated, corrupt or tampered entry is
  deleted and fetched again, never returned;
* only answers worth keeping are stored: a 2xx status, a non-empty body, no HTML page
  (a proxy's login or error page served with status 200), valid JSON when the server
  says JSON;
* entries older than ``max_age`` days (default 30, or ``HOTSPOTS_CACHE_MAX_AGE_DAYS``)
  are fetched again; offline, a stale entry is still used, with a warning.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
import time
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import config
from ._errors import HotspotsWarning, OfflineError

__all__ = ["HTTPResult", "cache_entry_path", "request"]

USER_AGENT = "hotspots (geospatial hotspot analysis; python-requests)"
#: Days before a cached answer is fetched again (``HOTSPOTS_CACHE_MAX_AGE_DAYS``).
DEFAULT_MAX_AGE_DAYS = 30.0
_FORMAT = 2  # version of the entry layout; other versions are treated as missing


class HTTPResult:
    """A minimal response: status code and body bytes (from the network or the cache)."""

    def __init__(self, status: int, content: bytes, *, from_cache: bool) -> None:
        self.status = status
        self.content = content
        self.from_cache = from_cache

    def json(self) -> Any:
        """Decode the body as JSON."""
        return json.loads(self.content.decode("utf-8"))


def cache_entry_path(
    method: str, url: str, params: Mapping[str, Any] | None = None, data: Any = None
) -> Path:
    """File holding the cached answer to one request (it may not exist)."""
    key = json.dumps(
        [method.upper(), url, sorted((params or {}).items()), dict(data) if data else None],
        default=str,
    )
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
    return config.cache_dir() / "http" / digest[:2] / f"{digest}.json"


def _max_age_seconds(max_age: float | None) -> float:
    if max_age is None:
        raw = os.environ.get("HOTSPOTS_CACHE_MAX_AGE_DAYS", "").strip()
        try:
            max_age = float(raw) if raw else DEFAULT_MAX_AGE_DAYS
        except ValueError:
            max_age = DEFAULT_MAX_AGE_DAYS
    return float(max_age) * 86_400.0


def _read_entry(path: Path) -> tuple[int, bytes, float] | None:
    """(status, body, age in seconds) of a valid entry; a broken entry is deleted."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError:
        return None
    try:
        entry = json.loads(raw.decode("utf-8"))
        if entry.get("format") != _FORMAT:
            raise ValueError("old or unknown layout")
        body = base64.b64decode(entry["body_b64"], validate=True)
        if hashlib.sha256(body).hexdigest() != entry["sha256"]:
            raise ValueError("body does not match its checksum")
        status = int(entry["status"])
        age = time.time() - float(entry["stored_at"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, AttributeError):
        path.unlink(missing_ok=True)  # truncated or corrupt: fetch again
        return None
    return status, body, age


def _write_entry(path: Path, url: str, status: int, body: bytes) -> None:
    """Write the entry to a temporary file beside ``path`` and rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    entry = {
        "format": _FORMAT,
        "url": url,
        "status": status,
        "stored_at": time.time(),
        "sha256": hashlib.sha256(body).hexdigest(),
        "body_b64": base64.b64encode(body).decode("ascii"),
    }
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(json.dumps(entry).encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _worth_caching(status: int, body: bytes, content_type: str) -> bool:
    """Keep 2xx answers with a body that is what an API serves (not an HTML page)."""
    if not 200 <= status < 300 or not body.strip():
        return False
    head = body.lstrip()[:256].lower()
    if head.startswith((b"<!doctype html", b"<html")) or "html" in content_type:
        return False
    if "json" in content_type:
        try:
            json.loads(body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return False
    return True


def request(
    method: str,
    url: str,
    *,
    params: Mapping[str, Any] | None = None,
    data: Mapping[str, Any] | None = None,
    offline_advice: str,
    timeout: float = 60.0,
    use_cache: bool = True,
    max_age: float | None = None,
    session: Any = None,
) -> HTTPResult:
    """Send a request, answering from the disk cache when possible.

    Parameters
    ----------
    method : {"GET", "POST"}
    url : str
    params, data : mapping, optional
        Query-string parameters and form body.
    offline_advice : str
        What the user should do instead when offline (appended to the error).
    timeout : float
        Seconds before giving up on the server.
    use_cache : bool
        Read and write the disk cache. Only 2xx, non-HTML, non-empty answers are cached.
    max_age : float, optional
        Days a cached answer stays fresh (default ``HOTSPOTS_CACHE_MAX_AGE_DAYS`` or 30).
    session : requests.Session, optional
        A session to use (tests pass one with recorded responses).

    Raises
    ------
    OfflineError
        When offline and the response is not cached, or the network is unreachable.
    """
    path = cache_entry_path(method, url, params, data)
    stale: tuple[int, bytes, float] | None = None
    if use_cache:
        entry = _read_entry(path)
        if entry is not None:
            if entry[2] <= _max_age_seconds(max_age):
                return HTTPResult(entry[0], entry[1], from_cache=True)
            stale = entry
    if config.is_offline():
        if stale is not None:
            warnings.warn(
                f"HOTSPOTS_OFFLINE is set: using a cached answer for {url} that is "
                f"{stale[2] / 86_400:.0f} days old.",
                HotspotsWarning,
                stacklevel=2,
            )
            return HTTPResult(stale[0], stale[1], from_cache=True)
        raise OfflineError(f"HOTSPOTS_OFFLINE is set, so {url} was not fetched. {offline_advice}")
    import requests

    http = session if session is not None else requests.Session()
    try:
        resp = http.request(
            method.upper(),
            url,
            params=params,
            data=data,
            timeout=timeout,
            headers={"User-Agent": USER_AGENT},
        )
    except requests.exceptions.RequestException as exc:
        raise OfflineError(
            f"Could not reach {url} ({exc.__class__.__name__}). {offline_advice}"
        ) from exc
    result = HTTPResult(resp.status_code, resp.content, from_cache=False)
    headers = getattr(resp, "headers", None) or {}
    content_type = str(headers.get("Content-Type", "")).lower()
    if use_cache and _worth_caching(resp.status_code, resp.content, content_type):
        _write_entry(path, url, resp.status_code, resp.content)
    return result
