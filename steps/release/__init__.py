"""Releasing a model: the quality gate (gate), what every serving target's manifest says about
a release (manifest), the SeldonDeployment (seldon) and the KServe InferenceService (kserve),
and the git commit that hands it to ArgoCD (publish). `python -m steps.release` runs the
release pipeline's step (step)."""
