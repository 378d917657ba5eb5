"""An MLServer runtime (Open Inference Protocol v2) for the released, calibrated U-Net.

model-settings.json names `steps.serving.UNetRuntime` (steps/serving/__init__.py exports it)
and points `parameters.uri` at a folder holding calibrate's output (model.keras and
calibration.json). POST
/v2/models/<name>/infer with one input, FP32 or UINT8, shape [N, H, W, 3], answers `mask`
(UINT8 [N, H, W]) and `probabilities` (FP32 [N, H, W, 3], calibrated). A malformed request
comes back as 400 with what was wrong (steps.serving.inference), not as a 500.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import numpy as np
from mlserver import MLModel
from mlserver.errors import MLServerError
from mlserver.types import (
    InferenceRequest,
    InferenceResponse,
    MetadataTensor,
    ResponseOutput,
)
from mlserver.utils import get_model_uri

from steps.evaluation.calibration import apply_calibration
from steps.serving.inference import BadRequest, Limits, answer, images_from

DATATYPE_OF = {np.dtype(np.uint8): "UINT8", np.dtype(np.float32): "FP32"}


class UNetRuntime(MLModel):  # type: ignore[misc]
    async def load(self) -> bool:
        # Before Keras imports TensorFlow: see steps/reproducibility/determinism.py.
        os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
        import keras

        folder = Path(await get_model_uri(self.settings))
        if folder.is_file():
            folder = folder.parent
        self._model = keras.saving.load_model(folder / "model.keras")
        self._calibration = json.loads((folder / "calibration.json").read_text())
        size = int(self._model.input_shape[1])
        extra = (self.settings.parameters.extra if self.settings.parameters else None) or {}
        self._limits = Limits(size=size, max_batch=int(extra.get("max_batch", 16)))
        self.inputs = [MetadataTensor(name="images", datatype="FP32", shape=[-1, size, size, 3])]
        self.outputs = [
            MetadataTensor(name="mask", datatype="UINT8", shape=[-1, size, size]),
            MetadataTensor(name="probabilities", datatype="FP32", shape=[-1, size, size, 3]),
        ]
        return True

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        if len(payload.inputs) != 1:
            raise MLServerError(f"send exactly one input (images), not {len(payload.inputs)}", 400)
        tensor = payload.inputs[0]
        data = tensor.data.root if hasattr(tensor.data, "root") else tensor.data
        try:
            datatype = str(getattr(tensor.datatype, "value", tensor.datatype))
            images = images_from(datatype, list(tensor.shape), data, self._limits)
        except BadRequest as e:
            raise MLServerError(f"input {tensor.name!r}: {e}", 400) from None
        probabilities = await asyncio.to_thread(self._predict, images)
        outputs = [
            ResponseOutput(
                name=name,
                shape=list(value.shape),
                datatype=DATATYPE_OF[value.dtype],
                data=value.ravel().tolist(),
            )
            for name, value in answer(probabilities).items()
        ]
        return InferenceResponse(
            model_name=self.name, model_version=self.version, id=payload.id, outputs=outputs
        )

    def _predict(self, images: np.ndarray) -> np.ndarray:
        raw = self._model.predict(images, verbose=0).astype(np.float64)
        calibrated: np.ndarray = apply_calibration(self._calibration, raw)
        return calibrated
