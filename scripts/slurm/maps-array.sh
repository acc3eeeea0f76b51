#!/usr/bin/env bash
#SBATCH --job-name=heatcheck-maps
#SBATCH --cpus-per-task=1
# One array task: the i-th of n cost-balanced shards of a plan, into its own folder RUN/shard-i.
#   sbatch --array=0-$((n-1)) scripts/slurm/maps-array.sh PLAN RUN
# Each task runs `heatcheck maps --plan PLAN --shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT`
# with one worker thread per CPU it was given (--cpus-per-task). A task that is killed or requeued
# and run again computes only the maps its folder lacks.
# HEATCHECK_HOME: the Heatcheck checkout (scripts/slurm/submit.sh exports it); HEATCHECK: the command to run.
set -euo pipefail
PLAN=${1:?usage: maps-array.sh PLAN RUN_DIR}
RUN=${2:?usage: maps-array.sh PLAN RUN_DIR}
: "${SLURM_ARRAY_TASK_ID:?run this with sbatch --array=0-(n-1)}"
HEATCHECK=${HEATCHECK:-node ${HEATCHECK_HOME:?set HEATCHECK_HOME to the Heatcheck checkout}/scripts/heatcheck.mjs}
mkdir -p "$RUN"
$HEATCHECK maps --plan "$PLAN" \
  --shard "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT" \
  --jobs "${SLURM_CPUS_PER_TASK:-1}" \
  --out "$RUN/shard-$SLURM_ARRAY_TASK_ID" > "$RUN/shard-$SLURM_ARRAY_TASK_ID.json"
