# The production image: one image runs the web app (gunicorn), a worker or a migration.
# Two builder stages, the front-end packages and the Python virtual environment, each
# installed from a lock file that pins every package with its hash; the last stage carries
# what they built with only what runs it.

# The front-end packages from npm, exactly as package-lock.json pins them (`npm ci` refuses a
# lock that disagrees with package.json and checks each package's integrity hash), with no
# install script run. Honestly: nothing the app serves comes from npm yet. package.json's only
# package, axe-core, is a devDependency of the browser tests, so `--omit=dev` installs an empty
# set today and the last stage copies an empty directory. The issue that brings the ECL design
# system adds it to package.json's "dependencies" and serves it from /opt/digivol/assets.
FROM node:22-bookworm-slim AS assets
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && mkdir -p node_modules

# Every Python dependency from the production lock (no `embedded` or `test` extra: no
# Temporal dev server, no waitress, no test tools), each file checked against its hashes and
# from wheels only; then digivol itself, with no dependency left to resolve.
FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/digivol
WORKDIR /src
COPY requirements/production.txt requirements/
RUN /opt/digivol/bin/pip install --require-hashes --only-binary=:all: \
    -r requirements/production.txt
COPY pyproject.toml README.md ./
COPY mentorship mentorship
COPY digivol digivol
COPY workflows workflows
COPY activities activities
COPY web web
COPY temporal_client temporal_client
RUN /opt/digivol/bin/pip install --no-deps --no-build-isolation .

FROM python:3.11-slim-bookworm
# Pango and HarfBuzz for WeasyPrint, fonts for the PDFs, the time-zone database for session
# times in each SME's local time.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
       libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/digivol --create-home digivol
COPY --from=build /opt/digivol /opt/digivol
COPY --from=assets /src/node_modules /opt/digivol/assets/node_modules
ENV PATH=/opt/digivol/bin:$PATH PYTHONUNBUFFERED=1 DIGIVOL_DATA_DIR=/var/lib/digivol
USER digivol
WORKDIR /var/lib/digivol
EXPOSE 8000 9464
CMD ["gunicorn", "--bind=0.0.0.0:8000", "--workers=4", "--threads=8", "web.wsgi:app"]
