"""JSON API for the lab: attach results to a blind code, read them back. Bearer-token protected."""
from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from intake.web.ids import PathId
from intake.web.jsonbody import read_json, require_bearer
from intake.lab.results import LabError, attach_result, find_sample, results_for


class ResultIn(BaseModel):
    property: str = Field(min_length=1, max_length=40)
    value: str = Field(min_length=1, max_length=20)
    unit: str = Field(min_length=1, max_length=12)
    lab: str = Field(min_length=1, max_length=60)
    verdict: str | None = None


def lab_router(engine: Engine, token: str) -> APIRouter:
    router = APIRouter(prefix="/api/lab")

    @router.post("/{code}/results", status_code=201)
    async def post_result(code: PathId, request: Request) -> dict[str, object]:
        require_bearer(token, request.headers.get("authorization"))
        body = await read_json(request, ResultIn)
        try:
            row = await run_in_threadpool(attach_result, engine, code, body.property, body.value,
                                          body.unit, body.lab, body.verdict)
        except LabError as exc:
            raise HTTPException(404 if "no sample" in str(exc) else 422, str(exc)) from exc
        return {"id": row.id, "code": code}

    @router.get("/{code}")
    async def get_results(code: PathId, request: Request) -> dict[str, object]:
        require_bearer(token, request.headers.get("authorization"))
        try:
            info = await run_in_threadpool(find_sample, engine, code)
        except LabError as exc:
            raise HTTPException(404, str(exc)) from exc
        rows = await run_in_threadpool(results_for, engine, code)
        return {"code": code, "material": info.material, "inspection": info.inspection_id,
                "results": [{"property": r.property, "value": r.value, "unit": r.unit, "lab": r.lab,
                             "verdict": r.verdict, "recorded_at": r.recorded_at.isoformat()} for r in rows]}

    return router
