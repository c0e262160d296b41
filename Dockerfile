# The production image: one image runs the web app, the worker or a migration.
FROM python:3.11-slim-bookworm
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
       libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core tzdata \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY mentorship mentorship
COPY digivol digivol
COPY workflows workflows
COPY activities activities
COPY web web
RUN pip install --no-cache-dir . && useradd --system --home /app digivol
USER digivol
ENV DIGIVOL_DATA_DIR=/tmp/digivol
EXPOSE 8000
CMD ["digivol", "web", "--host", "0.0.0.0", "--port", "8000"]
