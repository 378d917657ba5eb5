"""argocd-cm's Lua health checks, run with real Lua on the status shapes Argo CD hands them.

Argo CD 3.x persists an Application's own health in status.health but no longer the health of
each resource (status.resources[] has no `health`, and status.resourceHealthSource is
"appTree"); status.health.message is deprecated and usually absent. Argo CD 2.x wrote both.
The app-of-apps check must give the same answer on either shape.
"""

from __future__ import annotations

from typing import Any

import lupa
import pytest
import yaml

from tests.support.manifests import GITOPS

SELDON = "machinelearning.seldon.io_SeldonDeployment"
APPLICATION = "argoproj.io_Application"


def to_lua(lua: Any, value: Any) -> Any:
    if isinstance(value, dict):
        return lua.table_from({k: to_lua(lua, v) for k, v in value.items()})
    if isinstance(value, list):
        return lua.table_from([to_lua(lua, v) for v in value])
    return value


def health(kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    config = yaml.safe_load((GITOPS / "argocd-config" / "argocd-cm-configmap.yaml").read_text())
    script = config["data"][f"resource.customizations.health.{kind}"]
    lua = lupa.LuaRuntime(unpack_returned_tuples=True)
    # Argo CD's Lua VM has the base, table, string and math libraries and no os or io.
    lua.execute("os = nil; io = nil")
    result = lua.execute("local obj = ...\n" + script, to_lua(lua, obj))
    return dict(result)


def test_seldon_deployment_is_healthy_only_when_available() -> None:
    assert health(SELDON, {"status": {"state": "Available"}})["status"] == "Healthy"
    assert health(SELDON, {"status": {"state": "Creating"}})["status"] == "Progressing"
    assert health(SELDON, {"metadata": {"name": "x"}})["status"] == "Progressing"
    failed = health(SELDON, {"status": {"state": "Failed", "description": "bad image"}})
    assert failed == {"status": "Degraded", "message": "bad image"}


def test_seldon_deployment_waits_for_seldon_to_see_a_promotion() -> None:
    """Right after a promotion the status still describes the previous model as Available;
    the generation Seldon has processed says whether it is the new one."""
    stale = {"metadata": {"generation": 3},
             "status": {"state": "Available", "observedGeneration": 2}}  # fmt: skip
    assert health(SELDON, stale)["status"] == "Progressing"
    current = {"metadata": {"generation": 3},
               "status": {"state": "Available", "observedGeneration": 3}}  # fmt: skip
    assert health(SELDON, current)["status"] == "Healthy"


CHILD_3X_HEALTHY = {
    "health": {"status": "Healthy", "lastTransitionTime": "2026-11-30T10:00:00Z"},
    "resourceHealthSource": "appTree",
    "resources": [
        {
            "group": "apps",
            "kind": "Deployment",
            "name": "pachd",
            "namespace": "pachyderm",
            "status": "Synced",
            "version": "v1",
        },
    ],
    "sync": {"status": "Synced", "revision": "b964d8468a23278438805ea715e47550b1b8249d"},
    "operationState": {"phase": "Succeeded", "message": "successfully synced (all tasks run)"},
}


@pytest.mark.parametrize(
    ("status", "expected", "words"),
    [
        # Argo CD 3.x: health without a message, no per-resource health.
        (CHILD_3X_HEALTHY, "Healthy", "Healthy and Synced"),
        ({**CHILD_3X_HEALTHY, "health": {"status": "Progressing"}}, "Progressing", "Synced"),
        (
            {
                **CHILD_3X_HEALTHY,
                "health": {"status": "Degraded"},
                "sync": {"status": "Synced"},
                "conditions": [{"type": "ComparisonError", "message": "chart not found"}],
            },
            "Degraded",
            "ComparisonError: chart not found",
        ),
        (
            {**CHILD_3X_HEALTHY, "health": {"status": "Missing"}, "sync": {"status": "OutOfSync"}},
            "Missing",
            "OutOfSync",
        ),
        # A sync still running, or one that failed, holds the next wave whatever health says.
        ({**CHILD_3X_HEALTHY, "operationState": {"phase": "Running"}}, "Progressing", "running"),
        (
            {
                **CHILD_3X_HEALTHY,
                "operationState": {"phase": "Failed", "message": "hook pipeline-sync failed"},
            },
            "Degraded",
            "hook pipeline-sync failed",
        ),
        # Argo CD 2.x: a message next to the health, and health per resource.
        (
            {
                "health": {"status": "Degraded", "message": "pachd is crash-looping"},
                "resources": [
                    {
                        "kind": "Deployment",
                        "name": "pachd",
                        "status": "Synced",
                        "health": {"status": "Degraded"},
                    }
                ],
                "sync": {"status": "Synced"},
            },
            "Degraded",
            "pachd is crash-looping",
        ),
        (
            {"health": {"status": "Healthy", "message": ""}, "sync": {"status": "Synced"}},
            "Healthy",
            "Healthy and Synced",
        ),
        # Nothing reported yet.
        ({}, "Progressing", ""),
    ],
)
def test_child_application_health_on_3x_and_2x_shapes(
    status: dict[str, Any], expected: str, words: str
) -> None:
    result = health(APPLICATION, {"metadata": {"name": "pachyderm"}, "status": status})
    assert result["status"] == expected
    assert words in result["message"]


def test_an_application_without_status_is_progressing() -> None:
    assert health(APPLICATION, {"metadata": {"name": "new"}}) == {
        "status": "Progressing",
        "message": "",
    }
