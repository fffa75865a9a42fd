"""`intake run` serves the ERP's API only with `identification.erp_token` set (runtime.web_app)."""
from __future__ import annotations

from types import SimpleNamespace

import httpx
import pytest

from intake.config import IdentificationConfig, TicketConfig
from intake.lane.status import StatusHub
from intake.runtime import web_app
from intake.web.server import WebServer
from tests.intake.settlement.conftest import KEY


@pytest.mark.parametrize("token", ["erp-secret-1", ""])
def test_the_gate_mounts_the_settlement_api_with_its_token(records, plant, db_path, monkeypatch, token):
    monkeypatch.setenv("INTAKE_TEST_SETTLEMENT_KEY", KEY.decode())
    site = SimpleNamespace(name="Plant 7", audit_key="env:INTAKE_TEST_SETTLEMENT_KEY", database=f"sqlite:///{db_path}",
                           data_dir=db_path.parent, kiosk_display_token="")
    gate = SimpleNamespace(hub=StatusHub(), health=lambda: {}, problems=lambda: [], records=records, lanes=[],
                           cfg=SimpleNamespace(site=site, identification=IdentificationConfig(erp_token=token),
                                               tickets=TicketConfig(timezone="Asia/Shanghai"),
                                               sampling=SimpleNamespace(timezone="Asia/Shanghai")))
    server = WebServer(web_app(gate))  # type: ignore[arg-type]
    server.start()
    try:
        reply = httpx.get(f"{server.url}/api/settlement/deliveries", params={"limit": "2"},
                          headers={"Authorization": f"Bearer {token or 'anything'}"}, timeout=10)
    finally:
        server.stop()
    if token:
        assert reply.status_code == 200
        lines = reply.json()["deliveries"]
        assert [d["record_id"] for d in lines] == [d.visit for d in plant[:2]] and lines[0]["site"] == "Plant 7"
        assert lines[0]["weighed_out_at"].endswith("+08:00")
    else:
        assert reply.status_code == 404
