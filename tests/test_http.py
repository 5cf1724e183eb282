"""The cached HTTP layer: cache hits make no request, offline says what to download."""

from __future__ import annotations

import base64
import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest
import requests

from hotspots import HotspotsWarning, OfflineError
from hotspots._http import cache_entry_path, request


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


# ------------------------------------------------------------- faults the cache survives
class _Typed(_Response):
    def __init__(self, status: int, body: bytes, content_type: str) -> None:
        super().__init__(status, body)
        self.headers = {"Content-Type": content_type}


@pytest.fixture
def online(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("HOTSPOTS_OFFLINE", "0")
    monkeypatch.setenv("HOTSPOTS_CACHE_DIR", str(tmp_path / "cache"))

    def no_network() -> None:
        pytest.fail("a request without a recorded session would use the network")

    monkeypatch.setattr(requests, "Session", no_network)
    return tmp_path / "cache"


def test_truncated_entry_is_fetched_again(online: Path) -> None:
    session = _Session(_Response(200, b'[{"id": 1}]'), _Response(200, b'[{"id": 2}]'))
    request("GET", URL, params={"m": 3}, offline_advice="", session=session)
    entry = cache_entry_path("GET", URL, {"m": 3})
    text = entry.read_text("utf-8")
    entry.write_text(text[: len(text) // 2], "utf-8")  # a crash half-way through a write
    again = request("GET", URL, params={"m": 3}, offline_advice="", session=session)
    assert (again.json(), again.from_cache) == ([{"id": 2}], False)
    assert len(session.calls) == 2
    # the fresh answer replaced the broken entry
    third = request("GET", URL, params={"m": 3}, offline_advice="", session=session)
    assert (third.json(), third.from_cache) == ([{"id": 2}], True)


def test_entry_whose_body_was_altered_is_not_trusted(online: Path) -> None:
    session = _Session(_Response(200, b"[1, 2, 3]"), _Response(200, b"[4]"))
    request("GET", URL, params={"m": 4}, offline_advice="", session=session)
    entry = cache_entry_path("GET", URL, {"m": 4})
    data = json.loads(entry.read_text("utf-8"))
    data["body_b64"] = base64.b64encode(b"[9, 9, 9]").decode()
    entry.write_text(json.dumps(data), "utf-8")
    assert request("GET", URL, params={"m": 4}, offline_advice="", session=session).json() == [4]


def test_html_page_with_status_200_is_not_cached(online: Path) -> None:
    login = b"<!DOCTYPE html>\n<html><body>Sign in to the proxy</body></html>"
    session = _Session(
        _Typed(200, login, "text/html; charset=utf-8"),
        _Typed(200, b"<html>no content type</html>", ""),
        _Typed(200, b"{not json", "application/json"),
        _Typed(200, b"", "application/json"),
        _Typed(200, b'{"ok": true}', "application/json"),
    )
    for body in (login, b"<html>no content type</html>", b"{not json", b""):
        got = request("GET", URL, params={"m": 5}, offline_advice="", session=session)
        assert (got.content, got.from_cache) == (body, False)
        assert not cache_entry_path("GET", URL, {"m": 5}).exists()
    request("GET", URL, params={"m": 5}, offline_advice="", session=session)
    assert request("GET", URL, params={"m": 5}, offline_advice="").from_cache


def test_entries_expire_and_stale_ones_serve_offline(
    online: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = _Session(_Response(200, b"[1]"), _Response(200, b"[2]"))
    request("GET", URL, params={"m": 6}, offline_advice="", session=session)
    entry = cache_entry_path("GET", URL, {"m": 6})
    data = json.loads(entry.read_text("utf-8"))
    data["stored_at"] -= 31 * 86_400  # 31 days old; the default life is 30 days
    entry.write_text(json.dumps(data), "utf-8")
    monkeypatch.setenv("HOTSPOTS_OFFLINE", "1")
    with pytest.warns(HotspotsWarning, match="31 days old"):
        stale = request("GET", URL, params={"m": 6}, offline_advice="")
    assert (stale.json(), stale.from_cache) == ([1], True)
    monkeypatch.setenv("HOTSPOTS_OFFLINE", "0")
    fresh = request("GET", URL, params={"m": 6}, offline_advice="", session=session)
    assert (fresh.json(), fresh.from_cache) == ([2], False)
    # a longer max_age keeps it: the refetch above stored a new entry, so age it again
    data = json.loads(entry.read_text("utf-8"))
    data["stored_at"] -= 31 * 86_400
    entry.write_text(json.dumps(data), "utf-8")
    assert request("GET", URL, params={"m": 6}, offline_advice="", max_age=60).from_cache


def test_interrupted_write_keeps_the_previous_entry(
    online: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hotspots import _http

    _http._write_entry(cache_entry_path("GET", URL, {"m": 7}), URL, 200, b"[1]")
    real_fdopen = os.fdopen

    class _HalfWriter:
        def __init__(self, fh: Any) -> None:
            self.fh = fh

        def __enter__(self) -> _HalfWriter:
            return self

        def __exit__(self, *exc: object) -> None:
            self.fh.close()

        def write(self, data: bytes) -> int:
            self.fh.write(data[: len(data) // 2])
            self.fh.flush()
            raise OSError("No space left on device")

    monkeypatch.setattr(_http.os, "fdopen", lambda fd, mode: _HalfWriter(real_fdopen(fd, mode)))
    with pytest.raises(OSError, match="No space"):
        _http._write_entry(cache_entry_path("GET", URL, {"m": 7}), URL, 200, b"[2]")
    monkeypatch.setattr(_http.os, "fdopen", real_fdopen)
    monkeypatch.setenv("HOTSPOTS_OFFLINE", "1")  # the old entry must answer, no refetch
    assert request("GET", URL, params={"m": 7}, offline_advice="").json() == [1]
    leftovers = [p.name for p in cache_entry_path("GET", URL, {"m": 7}).parent.iterdir()]
    assert leftovers == [cache_entry_path("GET", URL, {"m": 7}).name]


def test_concurrent_writers_never_show_readers_a_broken_entry(online: Path) -> None:
    from hotspots import _http

    path = cache_entry_path("GET", URL, {"m": 8})
    bodies = [json.dumps(list(range(i, i + 20_000))).encode() for i in range(4)]
    _http._write_entry(path, URL, 200, bodies[0])
    seen: list[bytes | None] = []
    stop = threading.Event()

    def write(body: bytes) -> None:
        for _ in range(15):
            _http._write_entry(path, URL, 200, body)

    def read() -> None:
        while not stop.is_set():
            entry = _http._read_entry(path)
            seen.append(None if entry is None else entry[1])

    readers = [threading.Thread(target=read) for _ in range(2)]
    writers = [threading.Thread(target=write, args=(b,)) for b in bodies]
    for t in readers + writers:
        t.start()
    for t in writers:
        t.join()
    stop.set()
    for t in readers:
        t.join()
    assert seen and all(body in bodies for body in seen)  # never None: never a torn entry
    last = _http._read_entry(path)
    assert last is not None and last[1] in bodies
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]
