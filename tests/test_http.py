"""The cached HTTP layer: cache hits make no request, offline says what to download."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from hotspots import OfflineError
from hotspots._http import request


class _Response:
    def __init__(self, status: int, body: bytes) -> None:
        self.status_code = status
        self.content = body


class _Session:
    """Stands in for ``requests.Session``: records calls, replays canned answers."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.calls: list[tuple[str, str, Any, Any]] = []

    def request(self, method: str, url: str, **kw: Any) -> _Response:
        self.calls.append((method, url, kw.get("params"), kw.get("data")))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


URL = "https://data.police.uk/api/crimes-street/all-crime"


def test_second_call_is_answered_from_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTSPOTS_OFFLINE", "0")
    session = _Session(_Response(200, b'[{"id": 1}]'))
    first = request("POST", URL, data={"poly": "1,2:3,4"}, offline_advice="x", session=session)
    assert first.json() == [{"id": 1}] and not first.from_cache
    monkeypatch.setenv("HOTSPOTS_OFFLINE", "1")  # the cache answers even offline
    again = request("post", URL, data={"poly": "1,2:3,4"}, offline_advice="x", session=session)
    assert again.from_cache and again.json() == [{"id": 1}]
    assert len(session.calls) == 1
    with pytest.raises(OfflineError, match="download the bulk CSV"):
        request("POST", URL, data={"poly": "other"}, offline_advice="download the bulk CSV")


def test_errors_are_not_cached_and_unreachable_is_offline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HOTSPOTS_OFFLINE", "0")
    session = _Session(
        _Response(503, b"too large"),
        _Response(200, b"[]"),
        requests.exceptions.ConnectionError("no route"),
    )
    assert request("GET", URL, params={"m": 1}, offline_advice="", session=session).status == 503
    assert request("GET", URL, params={"m": 1}, offline_advice="", session=session).status == 200
    with pytest.raises(OfflineError, match=r"ConnectionError.*use the file"):
        request("GET", URL, params={"m": 2}, offline_advice="use the file", session=session)
    assert len(session.calls) == 3
