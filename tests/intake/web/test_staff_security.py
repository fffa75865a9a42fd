"""Security of the staff pages against a real uvicorn and a real SQLite store: cookie flags,
session fixation, CSRF, role escalation, the kiosk's reach, frame path traversal, throttling."""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, select

from tests.intake.web.staff_support import STAFF_PASSWORD, Store, csrf_of, login
from intake.auth.sessions import SessionStore
from intake.store.reviews import Review
from intake.store.tables import Frame
from intake.web.server import WebServer

STAFF_PAGES = ["/review", "/review/1", "/review/visit/x", "/review/next?after=1", "/suppliers",
               "/export/visits.csv", "/export/inspections.csv", "/frames/1"]
ADMIN_PAGES = ["/admin/users", "/admin/orders", "/admin/vehicles"]


def anon(server: WebServer) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=10, headers={"Sec-Fetch-Site": "same-origin"})


def test_session_cookie_flags_and_a_fresh_id_at_login(staff_server: WebServer) -> None:
    client = anon(staff_server)
    planted = "attacker-chosen-session-id-0123456789abcdef"
    client.cookies.set("intake-session", planted)          # fixation attempt
    form = client.get("/login")
    assert "intake-login=" in form.headers["set-cookie"]
    reply = client.post("/login", data={"csrf": csrf_of(form.text), "username": "rev", "password": STAFF_PASSWORD,
                                        "next": "/review"})
    assert reply.status_code == 303 and reply.headers["location"] == "/review"
    cookie = next(c for c in reply.headers.get_list("set-cookie") if c.startswith("intake-session="))
    value = cookie.split(";")[0].split("=", 1)[1]
    assert value != planted and len(value) >= 43
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "path=/", "samesite=strict"} <= flags
    assert not any(f.startswith(("max-age", "expires")) for f in flags)   # dies with the browser
    assert SessionStore(_engine(staff_server)).lookup(planted) is None
    assert client.get("/review").status_code == 200


def test_secure_cookie_with_host_prefix_over_https(hub, store: Store) -> None:
    from fastapi.testclient import TestClient

    from intake.web.app import create_app

    app = create_app(hub, engine=store.engine, data_dir=store.data_dir)
    with TestClient(app, base_url="https://gate.example") as client:
        form = client.get("/login")
        reply = client.post("/login", data={"csrf": csrf_of(form.text), "username": "rev",
                                            "password": STAFF_PASSWORD}, follow_redirects=False)
    cookie = next(c for c in reply.headers.get_list("set-cookie") if c.startswith("__Host-intake-session="))
    assert "secure" in cookie.lower() and "path=/" in cookie.lower() and "domain" not in cookie.lower()


def _engine(server: WebServer):
    return server._config.app.state.staff.engine  # type: ignore[attr-defined]


def test_logout_ends_the_session_on_the_server(staff_server: WebServer) -> None:
    client = login(staff_server.url, "rev")
    token = client.cookies.get("intake-session")
    page = client.get("/review")
    reply = client.post("/logout", data={"csrf": csrf_of(page.text)}, headers={"Origin": staff_server.url})
    assert reply.status_code == 303
    thief = anon(staff_server)
    thief.cookies.set("intake-session", token)
    assert thief.get("/review").status_code == 303              # the copied cookie is dead


@pytest.mark.parametrize("path", STAFF_PAGES + ADMIN_PAGES)
def test_anonymous_and_kiosk_reach_no_staff_page(staff_server: WebServer, path: str) -> None:
    reply = anon(staff_server).get(path)
    assert reply.status_code == 303 and reply.headers["location"].startswith("/login?next=")


def test_the_kiosk_page_links_nowhere(staff_server: WebServer) -> None:
    html = anon(staff_server).get("/kiosk/1").text
    assert "<a " not in html and "<form" not in html


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_reviewer_cannot_reach_admin_pages(staff_server: WebServer, path: str) -> None:
    assert login(staff_server.url, "rev").get(path).status_code == 403
    assert login(staff_server.url, "adm").get(path).status_code == 200


def test_reviewer_cannot_post_admin_actions(staff_server: WebServer, store: Store) -> None:
    client = login(staff_server.url, "rev")
    token = csrf_of(client.get("/review").text)
    reply = client.post("/admin/users/adm/disable", data={"csrf": token}, headers={"Origin": staff_server.url})
    assert reply.status_code == 403
    admin = login(staff_server.url, "adm")
    assert "active" in admin.get("/admin/users").text
    ok = admin.post("/admin/users/rev/disable", data={"csrf": csrf_of(admin.get("/admin/users").text)},
                    headers={"Origin": staff_server.url})
    assert ok.status_code == 303
    assert client.get("/review").status_code == 303           # the disabled reviewer is logged out


def _decide_form(client: httpx.Client, store: Store) -> dict[str, str]:
    item = store.items[0]
    page = client.get(f"/review/{item.inspection}")
    seen = page.text.split('name="seen" value="')[1].split('"')[0]
    return {"csrf": csrf_of(page.text), "visit": item.visit, "seen": seen, "verdict": "pass",
            "label": "clean_sand", "reason": "photos show clean sand"}


def _reviews(store: Store) -> int:
    with Session(store.engine) as session:
        return len(session.exec(select(Review)).all())


@pytest.mark.parametrize("attack", ["no_token", "wrong_token", "foreign_origin", "cross_site_fetch", "null_origin"])
def test_csrf_defences_refuse_the_review_post(staff_server: WebServer, store: Store, attack: str) -> None:
    client = login(staff_server.url, "rev")
    form = _decide_form(client, store)
    headers = {"Origin": staff_server.url}
    if attack == "no_token":
        del form["csrf"]
    elif attack == "wrong_token":
        form["csrf"] = form["csrf"][:-2] + "xx"
    elif attack == "foreign_origin":
        headers = {"Origin": "http://evil.example"}
    elif attack == "cross_site_fetch":
        headers = {"Origin": staff_server.url, "Sec-Fetch-Site": "cross-site"}
    else:
        headers = {"Origin": "null"}
    if attack in ("foreign_origin", "null_origin"):
        del client.headers["Sec-Fetch-Site"]      # an older browser: only Origin tells
    assert client.post("/review/decide", data=form, headers=headers).status_code == 403
    assert _reviews(store) == 0
    client.headers["Sec-Fetch-Site"] = "same-origin"
    assert client.post("/review/decide", data=_decide_form(client, store),
                       headers={"Origin": staff_server.url}).status_code == 303
    assert _reviews(store) == 1


def test_another_sessions_token_does_not_work(staff_server: WebServer, store: Store) -> None:
    mine, theirs = login(staff_server.url, "rev"), login(staff_server.url, "adm")
    form = _decide_form(mine, store)
    form["csrf"] = csrf_of(theirs.get("/review").text)
    assert mine.post("/review/decide", data=form, headers={"Origin": staff_server.url}).status_code == 403


def test_login_form_needs_its_own_csrf_token(staff_server: WebServer) -> None:
    client = anon(staff_server)
    client.get("/login")
    reply = client.post("/login", data={"csrf": "guess", "username": "rev", "password": STAFF_PASSWORD})
    assert reply.status_code == 403 and "intake-session" not in client.cookies


@pytest.mark.parametrize("target", ["//evil.example/x", "http://evil.example/", "/\\evil.example"])
def test_login_never_redirects_off_site(staff_server: WebServer, target: str) -> None:
    client = anon(staff_server)
    form = client.get("/login")
    reply = client.post("/login", data={"csrf": csrf_of(form.text), "username": "rev", "password": STAFF_PASSWORD,
                                        "next": target})
    assert reply.status_code == 303 and reply.headers["location"] == "/review"


@pytest.fixture
def slow_server(hub, store: Store) -> Iterator[WebServer]:
    """Delays long enough that no test depends on how fast this machine hashes passwords."""
    from intake.auth.throttle import ThrottlePolicy
    from intake.web.app import create_app
    from intake.web.staff import StaffSettings

    policy = ThrottlePolicy(base_delay_s=600, max_user_delay_s=600, max_client_delay_s=3600)
    server = WebServer(create_app(hub, engine=store.engine, data_dir=store.data_dir,
                                  staff=StaffSettings(throttle=policy)))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _bad_login(client: httpx.Client, user: str = "rev", password: str = "wrong password!") -> httpx.Response:
    form = client.get("/login")
    return client.post("/login", data={"csrf": csrf_of(form.text), "username": user, "password": password})


def test_login_is_slowed_after_repeated_failures(slow_server: WebServer) -> None:
    client = anon(slow_server)
    codes = [_bad_login(client).status_code for _ in range(6)]
    assert codes == [401] * 5 + [429]
    locked = _bad_login(client, password=STAFF_PASSWORD)   # the right password waits too, for now
    assert locked.status_code == 429 and "intake-session" not in client.cookies
    assert 1 <= int(locked.headers["retry-after"]) <= 600


def test_parallel_wrong_passwords_are_counted_before_any_is_checked(slow_server: WebServer) -> None:
    from concurrent.futures import ThreadPoolExecutor

    clients = [anon(slow_server) for _ in range(30)]
    forms = [(c, csrf_of(c.get("/login").text)) for c in clients]
    with ThreadPoolExecutor(30) as pool:
        codes = list(pool.map(lambda cf: cf[0].post("/login", data={"csrf": cf[1], "username": "adm",
                                                                     "password": "guess"}).status_code, forms))
    assert sorted(codes) == [401] * 5 + [429] * 25


def test_an_admin_clears_the_login_delay_on_an_account(slow_server: WebServer) -> None:
    attacker = anon(slow_server)
    for _ in range(6):
        _bad_login(attacker)
    assert _bad_login(anon(slow_server), password=STAFF_PASSWORD).status_code == 429
    admin = login(slow_server.url, "adm")
    reply = admin.post("/admin/users/REV/unlock", data={"csrf": csrf_of(admin.get("/admin/users").text)},
                       headers={"Origin": slow_server.url})
    assert reply.status_code == 303
    login(slow_server.url, "rev")       # the owner gets in at once


@pytest.mark.parametrize("path", ["/frames/../../etc/passwd", "/frames/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
                                  "/frames/..%2f..%2fgate.db", "/frames//etc/passwd", "/frames/1%00.png",
                                  "/frames/-1", "/frames/99999"])
def test_frames_only_by_record_id(staff_server: WebServer, path: str) -> None:
    client = login(staff_server.url, "rev")
    reply = client.get(path)
    assert reply.status_code in (400, 404) and reply.headers.get("content-type") != "image/png"


def _bad_frame(store: Store, path: str) -> int:
    with Session(store.engine) as session:
        good = session.get(Frame, store.items[0].frames[0])
        assert good is not None
        row = Frame(inspection_id=good.inspection_id, path=path, sha256=good.sha256, quality_ok=True)
        session.add(row)
        session.commit()
        assert row.id is not None
        return row.id


@pytest.mark.parametrize("stored", ["../gate.db", "/etc/passwd", "frames/../../gate.db", "link/escape.png",
                                    "frames/a\x00b.png", "../data-evil/x.png"])
def test_a_stored_path_leaving_data_dir_is_not_served(staff_server: WebServer, store: Store, stored: str,
                                                      tmp_path: Path) -> None:
    outside = tmp_path / "data-evil"
    outside.mkdir(exist_ok=True)
    (outside / "x.png").write_bytes(b"secret")
    (outside / "escape.png").write_bytes(b"secret")
    os.symlink(outside, store.data_dir / "link", target_is_directory=True)
    frame_id = _bad_frame(store, stored)
    reply = login(staff_server.url, "rev").get(f"/frames/{frame_id}")
    assert reply.status_code == 404 and b"secret" not in reply.content


def test_a_frame_file_altered_after_recording_is_refused(staff_server: WebServer, store: Store) -> None:
    client = login(staff_server.url, "rev")
    frame_id = store.items[0].frames[0]
    ok = client.get(f"/frames/{frame_id}")
    assert ok.status_code == 200 and ok.headers["content-type"] == "image/png" and ok.content[:4] == b"\x89PNG"
    with Session(store.engine) as session:
        path = store.data_dir / session.get(Frame, frame_id).path  # type: ignore[union-attr]
    path.write_bytes(path.read_bytes() + b"tampered")
    assert client.get(f"/frames/{frame_id}").status_code == 409


def test_staff_pages_are_never_cached_and_carry_the_security_headers(staff_server: WebServer, store: Store) -> None:
    client = login(staff_server.url, "rev")
    frame = f"/frames/{store.items[0].frames[0]}"   # photos too: none left in the cache after logout
    for path in ("/review", "/suppliers", "/login", frame):
        reply = client.get(path)
        assert reply.headers["cache-control"] == "no-store", path
        assert "default-src 'self'" in reply.headers["content-security-policy"]
        assert reply.headers["x-frame-options"] == "DENY"


def test_an_app_without_a_database_serves_no_staff_routes(client) -> None:
    for path in ("/login", "/review", "/frames/1", "/admin/users", "/suppliers"):
        assert client.get(path, follow_redirects=False).status_code == 404, path
    assert client.get("/kiosk/1").status_code == 200


@pytest.mark.parametrize("spelling", ["adm", "ADM", "Adm", "%20adm", "ADM%20"])
def test_an_admin_cannot_disable_themself_by_any_spelling(staff_server: WebServer, spelling: str) -> None:
    admin = login(staff_server.url, "adm")
    reply = admin.post(f"/admin/users/{spelling}/disable", data={"csrf": csrf_of(admin.get("/admin/users").text)},
                       headers={"Origin": staff_server.url})
    assert reply.status_code == 400
    assert admin.get("/admin/users").status_code == 200       # still logged in, still active
