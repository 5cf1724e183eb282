"""The one cached HTTP layer every online fetch goes through.

Responses are cached on disk under ``HOTSPOTS_CACHE_DIR/http`` keyed by method, URL and
body, so a repeated notebook run makes no requests. With ``HOTSPOTS_OFFLINE=1`` (or no
network) a fetch that is not cached raises :class:`~hotspots.OfflineError` carrying the
caller's advice on which file to download instead.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import config
from ._errors import OfflineError

__all__ = ["HTTPResult", "request"]

USER_AGENT = "hotspots (geospatial hotspot analysis; python-requests)"


class HTTPResult:
    """A minimal response: status code and body bytes (from the network or the cache)."""

    def __init__(self, status: int, content: bytes, *, from_cache: bool) -> None:
        self.status = status
        self.content = content
        self.from_cache = from_cache

    def json(self) -> Any:
        """Decode the body as JSON."""
        return json.loads(self.content.decode("utf-8"))


def _cache_file(method: str, url: str, params: Mapping[str, Any] | None, data: Any) -> Path:
    key = json.dumps([method.upper(), url, sorted((params or {}).items()), data], default=str)
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
    return config.cache_dir() / "http" / digest[:2] / f"{digest}.json"


def request(
    method: str,
    url: str,
    *,
    params: Mapping[str, Any] | None = None,
    data: Mapping[str, Any] | None = None,
    offline_advice: str,
    timeout: float = 60.0,
    use_cache: bool = True,
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
        Read and write the disk cache. Only 2xx responses are cached.
    session : requests.Session, optional
        A session to use (tests pass one with recorded responses).

    Raises
    ------
    OfflineError
        When offline and the response is not cached, or the network is unreachable.
    """
    path = _cache_file(method, url, params, dict(data) if data else None)
    if use_cache and path.exists():
        cached = json.loads(path.read_text("utf-8"))
        return HTTPResult(cached["status"], cached["body"].encode("utf-8"), from_cache=True)
    if config.is_offline():
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
    if use_cache and 200 <= resp.status_code < 300:
        path.parent.mkdir(parents=True, exist_ok=True)
        body = resp.content.decode("utf-8", errors="replace")
        path.write_text(json.dumps({"status": resp.status_code, "url": url, "body": body}), "utf-8")
    return result
