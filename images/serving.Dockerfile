# reproml/serving: MLServer with the U-Net runtime (steps.serving.UNetRuntime), for either
# serving target. Seldon Core (protocol v2) and KServe (Open Inference Protocol, Standard mode)
# both copy the released calibrate commit to /mnt/models; Seldon sets MLSERVER_MODEL_URI,
# MLSERVER_MODEL_NAME and the ports itself, the InferenceService names them in its env.
# Inference runs in two worker processes beside the HTTP server (parallel_workers 2; uvloop is
# pinned below 0.22 so MLServer 1.7.1's workers start; docs/performance.md has the figures).
#   docker build -f images/serving.Dockerfile -t reproml/serving:0.1.0 .
# IMAGE_MIRROR: a registry holding `make mirror-images`'s copies ("registry.example.com/m/").
ARG IMAGE_MIRROR=
FROM ${IMAGE_MIRROR}docker.io/library/python:3.12.8-slim-bookworm

# The image's own name, recorded in every step's provenance.json (steps/reproducibility/environment.py);
# `make images` passes the tag it builds.
ARG IMAGE=reproml/serving:0.1.0
ENV REPROML_IMAGE=$IMAGE \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    TF_ENABLE_ONEDNN_OPTS=0 \
    MLSERVER_MODEL_IMPLEMENTATION=steps.serving.UNetRuntime \
    MLSERVER_PARALLEL_WORKERS=2
WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY pachlite ./pachlite
COPY steps ./steps
RUN pip install --no-cache-dir -c constraints.txt -e '.[ml,cpu]' \
    && useradd --uid 10001 --create-home --shell /usr/sbin/nologin mlserver \
    && mkdir -p /opt/mlserver \
    && printf '{"parallel_workers": 2, "debug": false}\n' > /opt/mlserver/settings.json

USER 10001
EXPOSE 9000 9500 8080 8081
CMD ["mlserver", "start", "/opt/mlserver"]
