#!/bin/sh
# One-shot job (admin-tools image): our namespace, with the history retention we promise in
# the privacy notice, and the search attributes the Temporal UI filters mentorships by
# (the same ones `digivol up` registers on the embedded dev server: digivol/devserver.py).
set -eu
ns="${TEMPORAL_NAMESPACE:-digivol}"
# The same setting the worker keeps the namespace at (DIGIVOL_HISTORY_RETENTION_DAYS).
retention="${DIGIVOL_HISTORY_RETENTION_DAYS:-30}d"
until temporal operator cluster health --address "$TEMPORAL_ADDRESS"; do sleep 2; done
if temporal operator namespace describe --address "$TEMPORAL_ADDRESS" -n "$ns" >/dev/null 2>&1
then
  temporal operator namespace update --address "$TEMPORAL_ADDRESS" -n "$ns" --retention "$retention"
else
  temporal operator namespace create --address "$TEMPORAL_ADDRESS" -n "$ns" --retention "$retention"
fi
for attribute in DigivolStage:Keyword DigivolCountry:Keyword DigivolCompany:Int; do
  name="${attribute%%:*}"; kind="${attribute##*:}"
  temporal operator search-attribute create --address "$TEMPORAL_ADDRESS" -n "$ns" \
    --name "$name" --type "$kind" 2>/dev/null || echo "search attribute $name exists"
done
echo "namespace $ns ready"
