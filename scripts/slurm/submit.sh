#!/usr/bin/env bash
# Submits a study to Slurm: an array of N map shards, then the merge + evaluate job that waits
# for all of them (afterok). Prints the two job ids. RUN/report.json is the trust report.
#   scripts/slurm/submit.sh PLAN RUN N [evaluate flags...]
# Partition, account, time limit via sbatch's own variables (SBATCH_PARTITION, SBATCH_ACCOUNT,
# SBATCH_TIMELIMIT); CPUS_PER_TASK=16 gives each map task 16 CPUs, which it uses as --jobs 16.
set -euo pipefail
PLAN=$(realpath "${1:?usage: submit.sh PLAN RUN_DIR N [evaluate flags...]}")
RUN=$(realpath -m "${2:?usage: submit.sh PLAN RUN_DIR N [evaluate flags...]}")
N=${3:?usage: submit.sh PLAN RUN_DIR N [evaluate flags...]}
shift 3
HERE=$(cd "$(dirname "$0")" && pwd)
export HEATCHECK_HOME=${HEATCHECK_HOME:-$(cd "$HERE/../.." && pwd)}
mkdir -p "$RUN/logs"
ARRAY=$(sbatch --parsable --export=ALL --cpus-per-task="${CPUS_PER_TASK:-1}" --array=0-$((N - 1)) -o "$RUN/logs/maps-%a.out" "$HERE/maps-array.sh" "$PLAN" "$RUN")
ARRAY=${ARRAY%%;*}
FINAL=$(sbatch --parsable --export=ALL --dependency=afterok:"$ARRAY" -o "$RUN/logs/merge-evaluate.out" "$HERE/merge-evaluate.sh" "$PLAN" "$RUN" "$@")
FINAL=${FINAL%%;*}
echo "array $ARRAY (maps, $N shards), then $FINAL (merge + evaluate): $RUN/report.json"
