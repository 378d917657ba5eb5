"""scripts/strict-crd-schema: how every schema in schemas/crds/ was derived from its CRD."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.support.repo import REPO_ROOT

TOOL = REPO_ROOT / "scripts" / "strict-crd-schema"
CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {
        "group": "example.com",
        "versions": [{
            "name": "v1",
            "schema": {"openAPIV3Schema": {
                "type": "object",
                "properties": {
                    "apiVersion": {"type": "string"},
                    "kind": {"type": "string"},
                    "metadata": {"type": "object"},
                    "spec": {"type": "object", "properties": {
                        "size": {"type": "integer"},
                        "until": {"type": "string", "nullable": True},
                        "config": {"type": "object", "x-kubernetes-preserve-unknown-fields": True,
                                   "properties": {"known": {"type": "string"}}},
                    }},
                },
            }},
        }],
    },
}  # fmt: skip


@pytest.fixture
def schema(tmp_path: Path) -> dict[str, object]:
    crd = tmp_path / "crd.yaml"
    crd.write_text(yaml.safe_dump(CRD))
    out = tmp_path / "widget.json"
    result = subprocess.run([sys.executable, str(TOOL), str(crd), "v1", str(out),
                             "--comment", "test"], capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0, result.stderr
    loaded: dict[str, object] = json.loads(out.read_text())
    return loaded


def widget(**spec: object) -> dict[str, object]:
    return {"apiVersion": "example.com/v1", "kind": "Widget",
            "metadata": {"name": "w", "labels": {"a": "b"}}, "spec": spec}  # fmt: skip


def test_the_derived_schema_is_strict_where_the_api_server_is(schema: dict[str, object]) -> None:
    check = jsonschema.Draft7Validator(schema)
    check.validate(widget(size=1, until=None, config={"anything": [1, 2]}))
    with pytest.raises(jsonschema.ValidationError, match="siez"):
        check.validate(widget(siez=1))  # a typo in the spec
    with pytest.raises(jsonschema.ValidationError, match="lables"):
        check.validate({**widget(), "metadata": {"name": "w", "lables": {}}})  # in ObjectMeta
    with pytest.raises(jsonschema.ValidationError):
        check.validate(widget(size=None))  # only `nullable` fields take null
    assert schema["$comment"] == "test"


def test_an_unknown_version_is_one_line(tmp_path: Path) -> None:
    crd = tmp_path / "crd.yaml"
    crd.write_text(yaml.safe_dump(CRD))
    result = subprocess.run([sys.executable, str(TOOL), str(crd), "v2", str(tmp_path / "o")],
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip() == "no version 'v2' in the CRD (it has v1)"
