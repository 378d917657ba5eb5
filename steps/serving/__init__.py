"""Serving the released model with MLServer: the runtime (runtime), the request checks it
applies (inference), and `make serve`'s launcher (launcher; `python -m steps.serving`).

Released manifests, the serving image and model-settings.json name the runtime
`steps.serving.UNetRuntime`, so it is importable from here.
"""

from steps.serving.runtime import UNetRuntime

__all__ = ["UNetRuntime"]
