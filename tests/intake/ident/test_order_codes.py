"""Order codes cannot be enumerated: uniform answers, a per-lane limit, random checked codes."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from intake.ident.guesses import GuessLimit
from intake.ident.ordercodes import ALPHABET, new_order_code, well_formed
from intake.ident.webhook import order_code_router
from intake.lane.status import StatusHub
from intake.web.app import create_app

TOKEN = "t0ken-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
OPEN = "PO-7K2QX-MD94R"


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(clock: Clock) -> TestClient:
    app = create_app(StatusHub())
    app.include_router(order_code_router(TOKEN, lambda code: "AB123" if code == OPEN else None,
                                         lambda lane, plate: lane in ("1", "2"),
                                         GuessLimit(per_lane=5, total=8, window_s=60, clock=clock)))
    return TestClient(app)


def post(client: TestClient, lane: str, code: str):
    return client.post("/api/ident/order-code", json={"lane": lane, "code": code}, headers=AUTH)


def test_unknown_lane_and_unknown_code_answer_alike(client: TestClient) -> None:
    open_code_wrong_lane = post(client, "999", OPEN)
    no_such_code = post(client, "1", "PO-00000-00000")
    assert open_code_wrong_lane.status_code == no_such_code.status_code == 404
    assert open_code_wrong_lane.json() == no_such_code.json()
    assert post(client, "1", OPEN).status_code == 202


def test_a_lane_guessing_codes_waits(client: TestClient, clock: Clock) -> None:
    assert [post(client, "1", f"PO-{n:05d}").status_code for n in range(6)] == [404] * 5 + [429]
    assert post(client, "1", OPEN).status_code == 429               # even a right code waits
    assert post(client, "2", "PO-99999").status_code == 404         # another lane is not held
    clock.t += 61
    assert post(client, "1", OPEN).status_code == 202


def test_guesses_spread_over_made_up_lanes_hit_the_total(client: TestClient) -> None:
    codes = [post(client, f"x{n}", "PO-1").status_code for n in range(9)]
    assert codes == [404] * 8 + [429]


def test_generated_codes_are_random_and_carry_a_check_character() -> None:
    codes = {new_order_code() for _ in range(200)}
    assert len(codes) == 200 and all(well_formed(c) for c in codes)
    code = sorted(codes)[0]
    body = code[3:]
    for i, char in enumerate(body):
        if char == "-":
            continue
        for other in ALPHABET:
            if other != char:
                assert not well_formed("PO-" + body[:i] + other + body[i + 1:]), (code, i, other)
