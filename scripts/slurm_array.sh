#!/bin/bash
# A Slurm job array that profiles a music library in N disjoint parts, one per array task.
#
#   sbatch --array=1-16 scripts/slurm_array.sh /shared/music /shared/profiles
#   # when every task is done:
#   cat /shared/profiles/part-*-of-16.jsonl > /shared/profiles/all.jsonl
#
# Each task runs `herscan LIBRARY --shard K/N`: the file list is split by a hash of each file's
# path below LIBRARY, so the parts are disjoint, together complete, and stable when files are
# added elsewhere in the library. Every task writes its own part with --resume, so a requeued or
# preempted task (sbatch --requeue) continues where it stopped. herscan must be on PATH (or set
# HERSCAN=/path/to/herscan). docs/scaling.md has the details.
#SBATCH --job-name=herscan
#SBATCH --cpus-per-task=8
#SBATCH --mem-per-cpu=256M
#SBATCH --time=04:00:00
#SBATCH --requeue
#SBATCH --output=herscan-%A_%a.log
set -euo pipefail

library=${1:?usage: sbatch --array=1-N scripts/slurm_array.sh LIBRARY OUTPUT_FOLDER}
output=${2:?usage: sbatch --array=1-N scripts/slurm_array.sh LIBRARY OUTPUT_FOLDER}
herscan=${HERSCAN:-herscan}
k=${SLURM_ARRAY_TASK_ID:?run this with sbatch --array=1-N}
n=${SLURM_ARRAY_TASK_COUNT:-$((SLURM_ARRAY_TASK_MAX - SLURM_ARRAY_TASK_MIN + 1))}
if (( SLURM_ARRAY_TASK_MIN != 1 )); then
  echo "slurm_array.sh: number the array from 1 (--array=1-N), got a minimum of $SLURM_ARRAY_TASK_MIN" >&2
  exit 2
fi

mkdir -p "$output"
# Exit status 1 only means some files failed (their error records are in the part); keep it
# visible in the job's state but do not retry the task for it.
exec "$herscan" "$library" --shard "$k/$n" -j "${SLURM_CPUS_PER_TASK:-1}" --resume -q \
  -o "$output/part-$k-of-$n.jsonl"
