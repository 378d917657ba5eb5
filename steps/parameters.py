"""Every step's parameters: one frozen dataclass per step, read from the environment its spec sets.

A pipeline spec (`pipelines/<name>.yaml`, `transform.env`) is the one place a parameter's value
is written. A variable the process environment lacks is taken from that spec's env, so a step
run by hand from a checkout runs as its pipeline does; where the spec is not there either (the
images hold steps/, not pipelines/), the step stops with one line naming the variable. No value
is repeated here. Only what belongs to a deployment rather than to the spec (the gitops remote,
its token, the gate's thresholds, the serving target `make serve` picks) is read from the
environment alone: a run by hand is not gated, or pushed, by the project's own settings.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from steps.release.gate import Threshold, thresholds_from

PIPELINES = Path(__file__).resolve().parent.parent / "pipelines"


class ParameterError(ValueError):
    """A variable that is missing or does not parse; the message is the one line to print."""


def spec_env(pipeline: str) -> dict[str, str]:
    """`transform.env` of pipelines/<pipeline>.yaml; empty where the file is not there."""
    try:
        spec = yaml.safe_load((PIPELINES / f"{pipeline}.yaml").read_text())
    except FileNotFoundError:
        return {}
    env = ((spec or {}).get("transform") or {}).get("env") or {}
    return {str(k): str(v) for k, v in env.items()}


@dataclass(frozen=True)
class StepEnv:
    """One step's variables: the process environment first, then its spec's env."""

    pipeline: str
    env: Mapping[str, str]

    @classmethod
    def of(cls, pipeline: str, env: Mapping[str, str] | None = None) -> StepEnv:
        return cls(pipeline, os.environ if env is None else env)

    def text(self, name: str) -> str:
        value = self.env.get(name) or spec_env(self.pipeline).get(name)
        if not value:
            raise ParameterError(
                f"{name} is not set: pipelines/{self.pipeline}.yaml sets it in transform.env"
            )
        return value

    def integer(self, name: str) -> int:
        raw = self.text(name)
        try:
            return int(raw)
        except ValueError:
            raise ParameterError(f"{name}={raw!r} is not a whole number") from None

    def optional(self, name: str) -> str | None:
        """The spec's value where the environment lacks the variable; None where it is set
        empty (a setting turned off)."""
        value = self.env[name] if name in self.env else spec_env(self.pipeline).get(name)
        return value or None


def _integer(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ParameterError(f"{name}={raw!r} is not a whole number") from None


@dataclass(frozen=True)
class StreamParams:
    source: str  # synthetic[:seed=N][,size=N], a folder, or archive URLs
    samples: int
    batch_size: int

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        *,
        source: str | None = None,
        samples: int | None = None,
        batch_size: int | None = None,
    ) -> StreamParams:
        """The spec hands its env to the command line; a flag given wins over its variable."""
        step = StepEnv.of("stream", env)
        return cls(
            source=source or step.text("STREAM_SOURCE"),
            samples=samples if samples is not None else step.integer("STREAM_SAMPLES"),
            batch_size=batch_size if batch_size is not None else step.integer("STREAM_BATCH"),
        )


@dataclass(frozen=True)
class TransformParams:
    img_size: int
    split_fractions: str  # train,validation,calibration,test (steps.transform parses it)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> TransformParams:
        step = StepEnv.of("transform", env)
        return cls(step.integer("IMG_SIZE"), step.text("SPLIT_FRACTIONS"))


@dataclass(frozen=True)
class TrainParams:
    epochs: int
    seed: int

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> TrainParams:
        step = StepEnv.of("train", env)
        return cls(step.integer("TRAIN_EPOCHS"), step.integer("SEED"))


@dataclass(frozen=True)
class TuneParams:
    max_epochs: int
    factor: int
    seed: int

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> TuneParams:
        step = StepEnv.of("tune", env)
        return cls(
            step.integer("TUNE_MAX_EPOCHS"), step.integer("TUNE_FACTOR"), step.integer("SEED")
        )


@dataclass(frozen=True)
class ModelParams:
    epochs: int
    patience: int
    seed: int

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ModelParams:
        step = StepEnv.of("model", env)
        return cls(step.integer("MODEL_EPOCHS"), step.integer("PATIENCE"), step.integer("SEED"))


@dataclass(frozen=True)
class CalibrateParams:
    method: str  # temperature or isotonic
    seed: int

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> CalibrateParams:
        step = StepEnv.of("calibrate", env)
        return cls(step.text("CALIBRATION_METHOD"), step.integer("SEED"))


@dataclass(frozen=True)
class EvaluateParams:
    batch_size: int

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> EvaluateParams:
        return cls(StepEnv.of("evaluate", env).integer("BATCH_SIZE"))


@dataclass(frozen=True)
class ReleaseParams:
    serving_target: str  # checked against steps.release.step.TARGETS by the step
    deployment_name: str
    namespace: str
    serving_image: str
    model_uri: str  # a template: {version} and {name}
    model_uri_secret: str | None
    gitops_repo: str | None  # the deployment's: required only when a model is promoted
    gitops_branch: str
    gitops_path: str
    git_author: str  # 'Name <email>'
    gitops_token: str | None  # a Pachyderm secret, never in a spec
    evaluate_commit: str | None  # set by Pachyderm for the input named evaluate
    thresholds: tuple[Threshold, ...]  # GATE_MIN_<METRIC>, GATE_MAX_<METRIC>

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ReleaseParams:
        step = StepEnv.of("release", env)
        return cls(
            serving_target=step.text("SERVING_TARGET"),
            deployment_name=step.text("DEPLOYMENT_NAME"),
            namespace=step.text("SERVING_NAMESPACE"),
            serving_image=step.text("SERVING_IMAGE"),
            model_uri=step.text("MODEL_URI"),
            model_uri_secret=step.optional("MODEL_URI_SECRET"),
            gitops_repo=step.env.get("GITOPS_REPO") or None,
            gitops_branch=step.text("GITOPS_BRANCH"),
            gitops_path=step.text("GITOPS_PATH"),
            git_author=step.text("GIT_AUTHOR"),
            gitops_token=step.env.get("GITOPS_TOKEN") or None,
            evaluate_commit=step.env.get("evaluate_COMMIT"),
            thresholds=tuple(thresholds_from(step.env)),
        )


# `make serve`'s own defaults: the local ports MLServer listens on, and make run's demo remote.
SERVE_PORT = 8080
SERVE_GRPC_PORT = 8081
DEMO_GITOPS_REPO = ".run/gitops.git"


@dataclass(frozen=True)
class ServeParams:
    """`make serve`: where the release spec pushes (its branch, path and name) and the ports."""

    gitops_repo: str
    gitops_branch: str
    gitops_path: str
    deployment_name: str
    serving_target: str | None  # None: whichever target the gitops repository holds
    port: int
    grpc_port: int

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ServeParams:
        release = StepEnv.of("release", env)
        return cls(
            gitops_repo=release.env.get("GITOPS_REPO") or DEMO_GITOPS_REPO,
            gitops_branch=release.text("GITOPS_BRANCH"),
            gitops_path=release.text("GITOPS_PATH"),
            deployment_name=release.text("DEPLOYMENT_NAME"),
            serving_target=release.env.get("SERVING_TARGET") or None,
            port=_integer(release.env, "PORT", SERVE_PORT),
            grpc_port=_integer(release.env, "GRPC_PORT", SERVE_GRPC_PORT),
        )
