# reproml/steps-cpu: the CPU pipeline steps (stream ... release) and pachlite itself (the
# spout adapter, `pachlite deploy` in the pipeline-sync job). Build from the repository root:
#   docker build -f images/steps-cpu.Dockerfile -t reproml/steps-cpu:0.1.0 .
# IMAGE_MIRROR: a registry holding `make mirror-images`'s copies ("registry.example.com/m/").
ARG IMAGE_MIRROR=
FROM ${IMAGE_MIRROR}docker.io/library/python:3.12.8-slim-bookworm

# git: the release step commits the SeldonDeployment to the gitops repository.
RUN apt-get update \
    && apt-get install -y --no-install-recommends git=1:2.39.5-0+deb12u3 \
    && rm -rf /var/lib/apt/lists/*

# The image's own name, recorded in every step's provenance.json (steps/reproducibility/environment.py);
# `make images` passes the tag it builds.
ARG IMAGE=reproml/steps-cpu:0.1.0
ENV REPROML_IMAGE=$IMAGE \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    TF_ENABLE_ONEDNN_OPTS=0
WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY pachlite ./pachlite
COPY steps ./steps
COPY notebooks ./notebooks
RUN pip install --no-cache-dir -c constraints.txt -e '.[ml,cpu]' \
    && python -m ipykernel install --sys-prefix --name python3 \
    && useradd --uid 10001 --create-home --shell /usr/sbin/nologin reproml

USER 10001
