#!/usr/bin/env bash
#SBATCH --job-name=heatcheck-merge
#SBATCH --cpus-per-task=1
# After the array (sbatch --dependency=afterok:ARRAY_ID): merges RUN/shard-* into RUN/maps
# (heatcheck merge fails when a planned map is missing or in two shards), then writes the trust
# report RUN/report.json from the merged maps (evaluate --plan: the plan's study, models, methods,
# preset, seed and cascading randomization). Extra arguments go to `heatcheck evaluate` (for example --resamples 200).
#   sbatch --dependency=afterok:ARRAY_ID scripts/slurm/merge-evaluate.sh PLAN RUN [evaluate flags...]
set -euo pipefail
PLAN=${1:?usage: merge-evaluate.sh PLAN RUN_DIR [evaluate flags...]}
RUN=${2:?usage: merge-evaluate.sh PLAN RUN_DIR [evaluate flags...]}
shift 2
HEATCHECK=${HEATCHECK:-node ${HEATCHECK_HOME:?set HEATCHECK_HOME to the Heatcheck checkout}/scripts/heatcheck.mjs}
$HEATCHECK merge "$RUN/maps" "$RUN"/shard-[0-9]* --plan "$PLAN" > "$RUN/merge.json"
# The plan says what was computed and how (study, models, methods, preset, seed, randomization):
# evaluate --plan finds every map in RUN/maps and scores it, running no model.
$HEATCHECK evaluate --plan "$PLAN" --maps "$RUN/maps" --out "$RUN/report.json" "$@" > "$RUN/evaluate.json"
