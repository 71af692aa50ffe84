#!/usr/bin/env bash
# One loan of a GPU machine, turned into results: probe the machine, run the gpu comparison scaled to the time
# left, and leave everything worth keeping under $OUT.
#
#   OUT=$OUT bash tools/gpu_run.sh [LIMIT_SECONDS]                  # on the GPU machine, from the repo root (default 300)
#   JITSR_GPU_SMOKE=1 OUT=/tmp/gpusmoke bash tools/gpu_run.sh 300   # anywhere: CPU, toy sizes, the same files
#
# With a lent machine whose device time is short (15 min, machine start included, at most 10 min a command): first,
# here, `python tools/prepare_gpu_data.py` (about a minute; gpu_data/ is ignored by git, so a fresh checkout lacks it),
# then run `OUT=$OUT bash tools/gpu_run.sh 300` on the device with gpu_data carried and a command timeout of ~360 s:
# that leaves time for one retry. Copy $OUT/reproduce-gpu to results/reproduce-gpu and $OUT/probe.json to
# benchmarks/gpu_probe.json, and commit them.
#
# On the GPU machine it needs gpu_data/ (built here by `python tools/prepare_gpu_data.py`, carried along); it has no
# network, so nothing is downloaded: missing pure-Python packages come from gpu_data/wheels, the package itself from
# PYTHONPATH. It ends by itself within LIMIT seconds (every stage runs under `timeout`), and a stage that fails is
# recorded and the next one still runs. What it writes under $OUT:
#
#   gpu_run.log        every command with its start time, exit code and duration
#   env.txt            nvidia-smi, Python/torch/CUDA versions, pip list, the code's commit and checksums
#   probe.json         tools/gpu_probe.py: kernels, step-time split, memory, MFU, resume, bf16 (probe.out: its log)
#   plan.json          the --steps-scale chosen from the probe so that training takes ~55 % of the time left
#   reproduce-gpu/     jitsr-reproduce --preset gpu on gpu_data/imagenet256: results.json/csv, figures, log.txt
#   SUMMARY.md         what ran, how long each stage took, exit codes, the probe digest and the results table
#
# Checkpoints (*.pt) and the ImageNet-derived crops are deleted at the end: they are big, or may not be shared.
# JITSR_GPU_SMOKE=1: CPU only, the probe in --smoke mode, reproduce --dry-run on 8 images made on the fly in
# $OUT/smoke-data (gpu_data/ is not needed). PYTHON=... picks the interpreter (default: the first with torch among
# .venv/bin/python, python3, python).

set -uo pipefail
LIMIT=${1:-300}
: "${OUT:?set OUT to the output folder}"
SMOKE=${JITSR_GPU_SMOKE:-0}
MARGIN=30                                   # seconds kept for the clean-up and SUMMARY.md after the reproduce stage
T0=$(date +%s)
mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd) || exit 1     # absolute, relative to where we were called from
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
LOG=$OUT/gpu_run.log
STAGES=()                                   # one markdown table row per stage

log()  { echo "[$(( $(date +%s) - T0 ))s] $*" | tee -a "$LOG" >&2; }
left() { echo $(( LIMIT - ($(date +%s) - T0) )); }
min()  { (( $1 < $2 )) && echo "$1" || echo "$2"; }

# stage NAME SECONDS CMD...: run CMD under `timeout` with its output in $OUT/NAME.out; log and record the exit code
stage() {
  local name=$1 secs=$2; shift 2
  if (( secs < 5 )); then
    log "skip $name: ${secs}s left"; STAGES+=("| $name | skipped | 0 | no time left |"); return 99
  fi
  log "+ $* (timeout ${secs}s)"
  local t rc dt
  t=$(date +%s)
  timeout -k 10 "$secs" "$@" >> "$OUT/$name.out" 2>&1
  rc=$?; dt=$(( $(date +%s) - t ))
  log "$name: exit $rc after ${dt}s$( (( rc == 124 || rc == 137 )) && echo ' (killed by timeout)')"
  STAGES+=("| $name | $rc | $dt | \`$*\` |")
  return $rc
}

log "gpu_run.sh: limit ${LIMIT}s, smoke=$SMOKE, repo $ROOT, out $OUT"
if [[ $SMOKE == 1 ]]; then
  export CUDA_VISIBLE_DEVICES=''           # the smoke test must not touch a GPU
  export OMP_NUM_THREADS=1                 # toy sizes: one thread is fastest, and two thrash on a busy 2-core machine
fi

# ------------------------------------------------------------------ stage 0: interpreter, environment, dependencies
PY=${PYTHON:-}
if [[ -z $PY ]]; then
  for c in "$ROOT/.venv/bin/python" python3 python; do     # the project's venv where there is one (not on the GPU machine)
    if command -v "$c" >/dev/null && "$c" -c 'import torch' 2>/dev/null; then PY=$(command -v "$c"); break; fi
  done
fi
if [[ -z $PY ]]; then PY=python3; log "no Python with torch found: trying $PY anyway"; fi
export PYTHONPATH=$ROOT${PYTHONPATH:+:$PYTHONPATH}      # the package from the work tree, not installed
export PYTHONUNBUFFERED=1
log "python: $PY"

{
  echo "## date";        date -u +%Y-%m-%dT%H:%M:%SZ
  echo "## host";        uname -a; echo "cpus: $(getconf _NPROCESSORS_ONLN)"; free -g 2>/dev/null; df -h "$ROOT" "$OUT" 2>/dev/null
  echo "## nvidia-smi";  timeout 20 nvidia-smi 2>&1 || echo "(no nvidia-smi)"
  echo "## python";      timeout 60 "$PY" -c 'import sys, torch as t; print(sys.version); print("torch", t.__version__,
                           "cuda", t.version.cuda, "cudnn", t.backends.cudnn.version(), "available", t.cuda.is_available())' 2>&1
  echo "## pip list";    timeout 60 "$PY" -m pip list 2>&1 || echo "(pip list failed)"
  echo "## code";        git rev-parse HEAD 2>/dev/null || echo "(no git)"; git status --short 2>/dev/null | head -40
  sha256sum jitsr/*.py tools/gpu_*.py tools/prepare_gpu_data.py 2>/dev/null
} > "$OUT/env.txt" 2>&1
log "wrote env.txt"

# missing pure-Python dependencies, from the carried wheels into a scratch folder (never into the system)
WHEELS=$ROOT/gpu_data/wheels
for spec in einops:einops fastprogress:fastprogress fastcore:fastcore PIL:pillow numpy:numpy; do
  mod=${spec%%:*}; pkg=${spec##*:}
  if ! "$PY" -c "import $mod" 2>/dev/null; then
    if [[ -d $WHEELS ]] && ls "$WHEELS" | grep -qi "^$pkg-"; then
      DEPS=${DEPS:-$(mktemp -d)/site}
      stage "deps" 120 "$PY" -m pip install --no-index --no-deps --find-links "$WHEELS" --target "$DEPS" "$pkg"
      export PYTHONPATH=$PYTHONPATH:$DEPS
    else
      log "missing module $mod and no wheel for it in $WHEELS"; STAGES+=("| deps $pkg | missing | 0 | no wheel |")
    fi
  fi
done

# ------------------------------------------------------------------ stage 1: probe
if [[ $SMOKE == 1 ]]; then
  DATA=$OUT/smoke-data
  stage smoke-data 120 "$PY" tools/prepare_gpu_data.py --smoke "$DATA" --n 8
  PROBE_EXTRA=(--smoke)
else
  DATA=gpu_data/imagenet256                             # relative: results.json records it as given
  [[ -d $DATA/train ]] || log "WARNING: $DATA/train is missing (carry gpu_data, built by tools/prepare_gpu_data.py)"
  PROBE_EXTRA=()
fi
PROBE_T=$(min 120 $(( $(left) * 30 / 100 )))            # 90 s of the default 300; 120 s from a 400-s limit on
PROBE_BUDGET=$(( PROBE_T - 20 > 10 ? PROBE_T - 20 : 10 ))
stage probe "$PROBE_T" "$PY" tools/gpu_probe.py --out "$OUT/probe.json" --budget "$PROBE_BUDGET" \
      --data "$DATA/train" ${PROBE_EXTRA[@]+"${PROBE_EXTRA[@]}"}

# ------------------------------------------------------------------ stage 2: the comparison, scaled to the time left
REPRO=("$PY" -c 'from jitsr.cli import reproduce_main; reproduce_main()')
SCALE=
HELP=$(timeout 60 "${REPRO[@]}" --help 2>&1)
if grep -q -- '--steps-scale' <<< "$HELP"; then
  PLAN_SECS=$(( $(left) - MARGIN - 10 ))                # what reproduce will have once the plan is made
  if stage plan "$(min 60 $(( $(left) - MARGIN - 20 )))" "$PY" tools/gpu_probe.py --plan "$OUT/probe.json" --seconds "$PLAN_SECS" --out "$OUT/plan.json"; then
    SCALE=$(tail -n 1 "$OUT/plan.out")
  fi
  if ! [[ $SCALE =~ ^[0-9]*\.?[0-9]+$ ]]; then SCALE=0.25; log "no plan: --steps-scale $SCALE (a guess)"; fi
  log "steps scale $SCALE"
else
  log "jitsr-reproduce has no --steps-scale here: running the preset's own budgets"
fi
ARGS=(--preset gpu --data "$DATA" --out "$OUT/reproduce-gpu")
[[ $SMOKE == 1 ]] && ARGS+=(--dry-run)
[[ -n $SCALE ]] && ARGS+=(--steps-scale "$SCALE")
if grep -q -- '--ckpt-dir' <<< "$HELP"; then            # checkpoints (GBs for L/16) outside $OUT, whatever happens
  CKPT=$(mktemp -d)/ckpt; ARGS+=(--ckpt-dir "$CKPT")
fi
if [[ -e $OUT/reproduce-gpu ]]; then                    # its checkpoints were deleted: it cannot be resumed
  mv "$OUT/reproduce-gpu" "$OUT/reproduce-gpu.old-$T0"; log "moved an earlier reproduce-gpu aside"
fi
stage reproduce $(( $(left) - MARGIN )) env JITSR_DATA="$ROOT/gpu_data" "${REPRO[@]}" "${ARGS[@]}"
REPRO_RC=$?

# ------------------------------------------------------------------ stage 3: keep what is small and may be shared
PT_DIRS=("$OUT"); [[ -n ${CKPT:-} ]] && PT_DIRS+=("$CKPT")
N_PT=$(find "${PT_DIRS[@]}" -name '*.pt' 2>/dev/null | wc -l)
PT_MB=$(find "${PT_DIRS[@]}" -name '*.pt' -printf '%s\n' 2>/dev/null | awk '{s += $1} END {printf "%.0f", s / 1048576}')
find "$OUT" -name '*.pt' -delete
[[ -n ${CKPT:-} ]] && rm -rf "$(dirname "$CKPT")"
find "$OUT" -type d \( -name val_crops -o -name eval_crops \) -prune -exec rm -rf {} +
rm -rf "$OUT/smoke-data"
log "deleted $N_PT checkpoints (${PT_MB} MiB) and the image crops"

{
  echo "# GPU run, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo
  echo "machine: $( (timeout 10 nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null || echo 'no GPU') | head -1 ), $(getconf _NPROCESSORS_ONLN) CPUs;" \
       "python $("$PY" -V 2>&1 | cut -d' ' -f2); smoke: $SMOKE; limit ${LIMIT}s; total $(( $(date +%s) - T0 ))s;" \
       "steps scale: ${SCALE:-n/a}; reproduce exit: $REPRO_RC"
  echo
  echo "| stage | exit | seconds | command |"
  echo "|---|---|---|---|"
  printf '%s\n' ${STAGES[@]+"${STAGES[@]}"}
  echo
  echo "## probe"
  echo
  timeout 30 "$PY" tools/gpu_probe.py --summary "$OUT/probe.json" --plan-json "$OUT/plan.json" 2>&1 || echo "(no probe digest)"
  echo
  echo "## reproduce"
  echo
  echo '```'
  if [[ -f $OUT/reproduce-gpu/results.json ]]; then
    timeout 30 "$PY" -c 'import sys; from jitsr.report import show_results; show_results(sys.argv[1])' "$OUT/reproduce-gpu" 2>&1
  else
    echo "no results.json; the end of its output:"; tail -n 30 "$OUT/reproduce.out" 2>/dev/null
  fi
  echo '```'
  echo
  echo "## files"
  echo
  echo '```'
  (cd "$OUT" && find . -type f -printf '%10s  %p\n' | sort -k2)
  echo '```'
} > "$OUT/SUMMARY.md" 2>&1
[[ -n ${DEPS:-} ]] && rm -rf "$(dirname "$DEPS")"      # the scratch packages, once nothing needs them
log "wrote SUMMARY.md; done in $(( $(date +%s) - T0 ))s of ${LIMIT}s"
[[ -f $OUT/reproduce-gpu/results.json ]]
