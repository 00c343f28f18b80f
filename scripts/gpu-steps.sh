# gpu-steps.sh — the step runner of the scripts that scripts/gpu-check.sh
# writes (run.sh, train.sh), sourced after their env.sh. A device run has
# one deadline for both scripts together: DESCENT_GPU_DEADLINE seconds
# (default 480, inside the device tool's 600 s per command) from the start of
# run.sh; train.sh run after it with the same $OUT keeps that clock. Each
# step runs with its own limit (DESCENT_GPU_STEP_LIMIT, when set, replaces every
# step's), cut to what the deadline leaves; a step with too little left is
# skipped. A step's output goes to its log under $results while it runs, and
# its summary line goes to stdout and to $results/summary.txt as it ends, so
# whatever stops the run, the steps done so far are on record.
#
# Variables from env.sh: results (the folder under $OUT), root (the repository).

summary="$results/summary.txt"
min_step=2   # seconds: with less left, a step is skipped
kill_grace=3 # seconds from TERM to KILL for a step past its limit, kept inside the deadline
for v in DESCENT_GPU_DEADLINE DESCENT_GPU_STEP_LIMIT; do
	if [[ -n "${!v:-}" && ! "${!v}" =~ ^[0-9]+$ ]]; then
		echo "gpu-check: $v=${!v} is not a whole number of seconds" >&2
		exit 2
	fi
done

# start_clock begins the run's deadline and a new summary (run.sh).
start_clock() {
	deadline=$(($(date +%s) + ${DESCENT_GPU_DEADLINE:-480}))
	echo "clock: deadline $deadline ($(date -u -d "@$deadline" +%H:%M:%S) UTC, ${DESCENT_GPU_DEADLINE:-480} s)" >"$summary"
	note "deadline in ${DESCENT_GPU_DEADLINE:-480} s (DESCENT_GPU_DEADLINE)"
}

# join_clock takes the deadline run.sh recorded in this $OUT, or starts one
# (train.sh).
join_clock() {
	deadline="$(sed -n '1s/^clock: deadline \([0-9]*\).*/\1/p' "$summary" 2>/dev/null)"
	if [[ -z "$deadline" ]]; then
		start_clock
	else
		note "$((deadline - $(date +%s))) s left before the deadline set by run.sh"
	fi
}

# note prints a line and records it in the summary.
note() {
	echo "gpu-check: $*"
	echo "$*" >>"$summary"
}

# allowance LIMIT prints the seconds a step may take: LIMIT (or
# DESCENT_GPU_STEP_LIMIT), cut to what the deadline leaves once a kill's grace
# is set aside, 0 when too little.
allowance() {
	local limit="${DESCENT_GPU_STEP_LIMIT:-$1}" left=$((deadline - kill_grace - $(date +%s)))
	if ((left < min_step)); then
		echo 0
	elif ((limit > left)); then
		echo "$left"
	else
		echo "$limit"
	fi
}

# step NAME SECONDS LOG DIR CMD... runs CMD in DIR for at most SECONDS (from
# allowance), appending its output to LOG, then prints and records one line:
# ok, FAIL, TIMEOUT or SKIP, the seconds taken and a detail (test counts, the
# first failure). It returns non-zero unless the step passed.
step() {
	local name="$1" secs="$2" log="$3" dir="$4"
	shift 4
	if ((secs == 0)); then
		record SKIP "$name" 0 "the deadline has passed: not run"
		return 1
	fi
	local offset start rc part status detail
	echo "=== $name: (in ${dir#"$root"/}) $* [limit ${secs} s]" >>"$log"
	offset=$(stat -c %s "$log")
	start=$(date +%s)
	# timeout runs CMD in a process group of its own and signals the whole
	# group: a hung binary and its children go, by KILL if TERM does not do.
	(cd "$dir" && exec timeout -k "$kill_grace" "$secs" "$@") >>"$log" 2>&1 </dev/null
	rc=$?
	part="$(tail -c +$((offset + 1)) "$log")"
	case $rc in
	0) status=ok ;;
	124 | 137) status=TIMEOUT ;;
	*) status=FAIL ;;
	esac
	detail="$(counts "$part")"
	if [[ $status != ok ]]; then
		local why
		why="$(grep -m1 -E -- '--- FAIL|^panic:|^fatal error|^FAIL|[Ee]rror' <<<"$part" || true)"
		[[ -z "$why" ]] && why="$(grep -v '^\s*$' <<<"$part" | tail -1)"
		[[ -z "$why" ]] && why="no output"
		detail="${detail:+$detail; }exit $rc${why:+: $why}"
	fi
	record "$status" "$name" $(($(date +%s) - start)) "$detail"
	[[ $status == ok ]]
}

# counts summarizes go test -v output: passed, failed and skipped tests.
counts() {
	local pass fail skip
	pass=$(grep -c -- '--- PASS' <<<"$1")
	fail=$(grep -c -- '--- FAIL' <<<"$1")
	skip=$(grep -c -- '--- SKIP' <<<"$1")
	if ((pass + fail + skip > 0)); then
		echo "$pass passed, $fail failed, $skip skipped"
	fi
}

# record prints and keeps one step's summary line.
record() {
	local line
	line="$(printf '%-7s %-18s %4d s  %s' "$1" "$2" "$3" "$4")"
	echo "$line"
	echo "$line" >>"$summary"
}

# host_report records what the binaries need and what this host has.
host_report() {
	note "needs: Linux x86-64 with glibc >= 2.34; an NVIDIA GPU of compute capability >= 8.0; a driver for CUDA >= 11.8 (R520+), and one that the host's cuBLAS accepts (cuBLAS 12: CUDA 12.x driver, R525+; cuBLAS 13: R580+)"
	local gpu cuda_version
	gpu="$(timeout 20 nvidia-smi --query-gpu=name,driver_version,compute_cap,memory.total --format=csv,noheader 2>&1 | head -1)"
	cuda_version="$(timeout 20 nvidia-smi 2>/dev/null | grep -o 'CUDA Version: *[0-9.]*' | head -1)"
	note "host: $(getconf GNU_LIBC_VERSION 2>/dev/null || echo 'glibc unknown'); GPU: ${gpu:-nvidia-smi gave nothing}${cuda_version:+; the driver supports $cuda_version}"
	local loader="libcublas.so.13, .12, .11, libcublas.so on the loader path"
	note "cuBLAS: ${DESCENT_CUBLAS:-$loader}"
}

# choose_python exports DESCENT_PYTHON, the interpreter that imports torch (the
# one set, else the first of the usual places), and records its versions.
choose_python() {
	local probe='import sys, torch; print("Python %s, torch %s, CUDA %s, GPU visible: %s" % (sys.version.split()[0], torch.__version__, torch.version.cuda, torch.cuda.is_available()))'
	local cands=("${DESCENT_PYTHON:-}")
	[[ -z "${DESCENT_PYTHON:-}" ]] && cands=(python3 /usr/bin/python3 /usr/local/bin/python3 /opt/conda/bin/python3 python)
	local py out
	for py in "${cands[@]}"; do
		if out="$(timeout 60 "$py" -c "$probe" 2>/dev/null)"; then
			export DESCENT_PYTHON="$py"
			note "python: $py ($out)"
			return 0
		fi
	done
	note "python: none of ${cands[*]} imports torch: the PyTorch comparisons will fail (set DESCENT_PYTHON)"
	return 1
}
