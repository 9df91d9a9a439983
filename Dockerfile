# vnlaw API: CPU-only, non-root, runs the same commands as `make run`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    OMP_WAIT_POLICY=PASSIVE \
    HF_HUB_OFFLINE=1 \
    VNLAW_HOST=0.0.0.0 \
    VNLAW_PORT=8000 \
    VNLAW_CORPUS_DIR=/data/corpus \
    VNLAW_INDEX_DIR=/data/index \
    VNLAW_MODEL_DIR=/data/models \
    VNLAW_COLLECTIONS=/data/corpus/collections/national.zip \
    VNLAW_BACKGROUND_BUILD=true

WORKDIR /app
# LightGBM's wheel links the system's OpenMP runtime.
RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 && rm -rf /var/lib/apt/lists/*
COPY requirements.lock ./
# The CPU wheel of torch, first: the default PyPI wheel bundles CUDA (several GB).
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0 \
 && pip install -r requirements.lock

COPY ingest ./ingest
COPY api ./api
# The LLM generator's templates: api/answering/generate.py reads them beside the packages.
COPY prompts ./prompts
COPY corpus /data/corpus
RUN useradd --system --uid 10001 --home /app vnlaw \
 && mkdir -p /data/index /data/models \
 && chown -R vnlaw /data
USER vnlaw

EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=600s \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=2).status != 200)"
# Index the bundled corpus when no version covers it yet, then serve; the service indexes the
# collections in the background (as `make run` does).
CMD ["sh", "-c", "python -m ingest build --staged --until 1 && OMP_NUM_THREADS=1 exec python -m api"]
