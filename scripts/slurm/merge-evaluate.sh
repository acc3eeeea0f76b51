#!/usr/bin/env bash
#SBATCH --job-name=heatcheck-merge
#SBATCH --cpus-per-task=1
# After the array (sbatch --dependency=afterok:ARRAY_ID): merges RUN/shard-* into RUN/maps
# (heatcheck merge fails when a planned map is missing or in two shards), then writes the trust
# report RUN/report.json from the merged maps with the plan's study, models, methods, preset and
# seed. Extra arguments go to `heatcheck evaluate` (for example --resamples 200).
#   sbatch --dependency=afterok:ARRAY_ID scripts/slurm/merge-evaluate.sh PLAN RUN [evaluate flags...]
set -euo pipefail
PLAN=${1:?usage: merge-evaluate.sh PLAN RUN_DIR [evaluate flags...]}
RUN=${2:?usage: merge-evaluate.sh PLAN RUN_DIR [evaluate flags...]}
shift 2
HEATCHECK=${HEATCHECK:-node ${HEATCHECK_HOME:?set HEATCHECK_HOME to the Heatcheck checkout}/scripts/heatcheck.mjs}
$HEATCHECK merge "$RUN/maps" "$RUN"/shard-[0-9]* --plan "$PLAN" > "$RUN/merge.json"
# The plan says what was computed; evaluate reads the same study, models and method settings.
field() { node -e 'const p = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); const v = p[process.argv[2]]; console.log(Array.isArray(v) ? v.map((x) => x.dir ?? x).join(",") : v)' "$PLAN" "$1"; }
$HEATCHECK evaluate --study "$(field study)" --models "$(field models)" --methods "$(field methods)" \
  --preset "$(field preset)" --seed "$(field seed)" --maps "$RUN/maps" --out "$RUN/report.json" "$@" > "$RUN/evaluate.json"
