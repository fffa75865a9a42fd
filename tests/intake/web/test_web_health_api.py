"""/health, /api/lanes and the security headers on every kind of response."""
from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from intake.lane.status import LaneStatus, LaneStep, StatusHub
from intake.web.app import create_app
from intake.web.headers import SECURITY_HEADERS


def client_for(hub: StatusHub, **kwargs: Any) -> TestClient:
    return TestClient(create_app(hub, **kwargs))


def test_health_ok_lists_lane_steps(client: TestClient, hub: StatusHub) -> None:
    hub.publish(LaneStatus(lane="2", step=LaneStep.SAMPLING))
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "lanes": {"1": "idle", "2": "sampling"}}


def test_health_degraded_when_a_lane_is_out_of_service(client: TestClient, hub: StatusHub) -> None:
    hub.publish(LaneStatus(lane="2", step=LaneStep.OUT_OF_SERVICE, fault="sampler_timeout"))
    assert client.get("/health").json()["status"] == "degraded"


def test_health_down_when_no_lane_can_take_a_truck(client: TestClient, hub: StatusHub) -> None:
    hub.publish(LaneStatus(lane="1", step=LaneStep.OUT_OF_SERVICE))
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["status"] == "down"
    with client_for(StatusHub()) as empty:
        assert empty.get("/health").json() == {"status": "down", "lanes": {}}


def test_health_merges_probe_and_takes_the_worse_status(hub: StatusHub) -> None:
    with client_for(hub, health=lambda: {"db": "ok", "queue_depth": 3}) as c:
        assert c.get("/health").json() == {"status": "ok", "lanes": {"1": "idle"}, "db": "ok", "queue_depth": 3}
    with client_for(hub, health=lambda: {"status": "degraded", "db": "slow"}) as c:
        assert c.get("/health").json()["status"] == "degraded"
    with client_for(hub, health=lambda: {"status": "ok", "lanes": "ignored"}) as c:
        assert c.get("/health").json()["lanes"] == {"1": "idle"}
    with client_for(hub, health=lambda: {"status": "bogus"}) as c:
        assert c.get("/health").json()["status"] == "degraded"  # unknown never reads as ok


def test_health_probe_that_raises_is_degraded_not_500(hub: StatusHub) -> None:
    def broken() -> dict[str, Any]:
        raise OSError("disk gone")

    with client_for(hub, health=broken) as c:
        response = c.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["health_error"] == "OSError"


def test_api_lane_status(client: TestClient, hub: StatusHub) -> None:
    hub.publish(LaneStatus(lane="1", step=LaneStep.WEIGHING_IN, weight_kg=32480, weight_stable=False, plate="A1"))
    body = client.get("/api/lanes/1").json()
    assert LaneStatus.model_validate(body) == hub.latest("1")
    assert client.get("/api/lanes").json() == {"lanes": ["1"]}


def test_api_unknown_lane_is_404(client: TestClient) -> None:
    assert client.get("/api/lanes/nope").status_code == 404


def test_no_interactive_docs_from_a_cdn(client: TestClient) -> None:
    assert client.get("/docs").status_code == 404
    assert client.get("/openapi.json").status_code == 404


@pytest.mark.parametrize("path", ["/kiosk/1", "/health", "/api/lanes/1", "/static/kiosk.js", "/kiosk/9", "/"])
def test_security_headers_on_every_response(client: TestClient, path: str) -> None:
    response = client.get(path, follow_redirects=False)
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value, (path, name)
    csp = response.headers["content-security-policy"]
    assert "unsafe-inline" not in csp and "default-src 'self'" in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
