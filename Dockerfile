# The production image: one image runs the web app (gunicorn), a worker or a migration.
# Stage 1 builds the virtual environment; stage 2 carries it with only what runs it.
FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/digivol
WORKDIR /src
COPY pyproject.toml README.md ./
COPY mentorship mentorship
COPY digivol digivol
COPY workflows workflows
COPY activities activities
COPY web web
COPY temporal_client temporal_client
RUN /opt/digivol/bin/pip install .

FROM python:3.11-slim-bookworm
# Pango and HarfBuzz for WeasyPrint, fonts for the PDFs, the time-zone database for session
# times in each SME's local time.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
       libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/digivol --create-home digivol
COPY --from=build /opt/digivol /opt/digivol
ENV PATH=/opt/digivol/bin:$PATH PYTHONUNBUFFERED=1 DIGIVOL_DATA_DIR=/var/lib/digivol
USER digivol
WORKDIR /var/lib/digivol
EXPOSE 8000 9464
CMD ["gunicorn", "--bind=0.0.0.0:8000", "--workers=4", "--threads=8", "web.wsgi:app"]
