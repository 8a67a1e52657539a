"""``GET /crm/v3/pipelines/deals[/{pipelineId}[/stages]]``: the portal's default sales pipeline."""

from __future__ import annotations

from typing import Any

from ..errors import HubSpotError
from ..schema import PIPELINE_STAGES
from ..wire import Call, Result, endpoint

__all__ = ["ROUTES", "default_pipeline"]

_EPOCH = "2019-01-01T00:00:00.000Z"


def _stage(index: int, stage_id: str) -> dict[str, Any]:
    label, probability, closed = PIPELINE_STAGES[stage_id]
    return {"label": label, "displayOrder": index, "id": stage_id,
            "metadata": {"isClosed": "true" if closed else "false", "probability": probability},
            "createdAt": _EPOCH, "updatedAt": _EPOCH, "archived": False,
            "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT"}


def default_pipeline() -> dict[str, Any]:
    """HubSpot's default deal pipeline ("Sales Pipeline", id ``default``)."""
    stages = [_stage(i, s) for i, s in enumerate(PIPELINE_STAGES)]
    return {"label": "Sales Pipeline", "displayOrder": 0, "id": "default", "stages": stages,
            "createdAt": _EPOCH, "updatedAt": _EPOCH, "archived": False}


def _pipelines(call: Call) -> list[dict[str, Any]]:
    object_type = call.path["objectType"].lower()
    if object_type not in ("deals", "deal", "0-3"):
        raise HubSpotError(400, f"Unable to infer object type from: {call.path['objectType']}", "VALIDATION_ERROR")
    return [default_pipeline()]


def _one(call: Call) -> dict[str, Any]:
    for pipeline in _pipelines(call):
        if pipeline["id"] == call.path["pipelineId"]:
            return pipeline
    raise HubSpotError(404, f"Unable to find pipeline {call.path['pipelineId']}", "OBJECT_NOT_FOUND",
                       context={"pipelineId": [call.path["pipelineId"]]})


def get_all(call: Call) -> Result:
    return 200, {"results": _pipelines(call)}


def get_by_id(call: Call) -> Result:
    return 200, _one(call)


def get_stages(call: Call) -> Result:
    return 200, {"results": _one(call)["stages"]}


ROUTES = [
    endpoint("GET", "/crm/v3/pipelines/{objectType:str}", get_all, "GetPipelines"),
    endpoint("GET", "/crm/v3/pipelines/{objectType:str}/{pipelineId:str}", get_by_id, "GetPipelineById"),
    endpoint("GET", "/crm/v3/pipelines/{objectType:str}/{pipelineId:str}/stages", get_stages, "GetPipelineStages"),
]
