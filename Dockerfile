# Cocreate as a container: `docker compose up` (compose.yaml) runs it with PostgreSQL.
# No secret is baked in: tokens and signing secrets come from the environment at run time.

FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/cocreate
# The dependencies first, at their locked versions: this layer is reused while only the
# code changes.
COPY requirements.lock ./
RUN /opt/cocreate/bin/pip install --no-cache-dir -r requirements.lock
COPY pyproject.toml setup.py README.md ./
COPY bot ./bot
COPY adapters ./adapters
COPY storage ./storage
COPY scheduler ./scheduler
COPY cocreate ./cocreate
RUN /opt/cocreate/bin/pip install --no-cache-dir --no-deps . \
    && /opt/cocreate/bin/pip check

FROM python:3.11-slim
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/cocreate --create-home cocreate
COPY --from=build /opt/cocreate /opt/cocreate
ENV PATH=/opt/cocreate/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    COCREATE_CORE__DATA_DIR=/var/lib/cocreate \
    COCREATE_HTTP__ENABLED=true \
    COCREATE_HTTP__HOST=0.0.0.0 \
    COCREATE_HTTP__PORT=9464 \
    COCREATE_SLACK__HOST=0.0.0.0
USER cocreate
WORKDIR /var/lib/cocreate
VOLUME ["/var/lib/cocreate"]
# 9464: /healthz, /readyz, /metrics; 3000: Slack's HTTP mode.
EXPOSE 9464 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9464/healthz', timeout=4)"]
ENTRYPOINT ["cocreate"]
CMD ["run"]
