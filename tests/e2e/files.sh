#!/bin/sh
# End-to-end: files that are not what an output or input usually is. One
# row per case; each checks the exit status, that the message names the
# file, that nothing crashed (no status above 128, no sanitizer report), and
# that the file that must survive is byte for byte what it was (cmp against
# a copy). Outputs: the training file, a foreign file with and without
# --force, a symbolic or hard link to an input, a link written through, a
# full device (a private mknod copy of /dev/full: the real one is never
# written), standard output full, closed, and a pipe closed early. Inputs:
# FIFOs and sockets inside folders, a FIFO named explicitly, symbolic link
# loops, .gz files (and truncated or corrupt ones), several --train files.
# One writer: two trainers on one model file, readers meanwhile, kill -9.
# usage: files.sh RNNKIT SOURCE_DIR
set -eu
R=$1
S=$2
D=$S/corpora/data
T=$(mktemp -d)
pids=""
trap 'for p in $pids; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
export OPENBLAS_NUM_THREADS=1
rows=0

# row WANT PATTERN COMMAND...: exit status WANT, PATTERN (grep -E) in stderr.
row() {
    want=$1 pat=$2
    shift 2
    set +e
    "$@" >"$T/out" 2>"$T/err"
    rc=$?
    set -e
    check "$want" "$pat" "$*"
}
check() {
    [ $rc -lt 128 ] || { cat "$T/err" >&2; fail "crashed (exit $rc): $3"; }
    ! grep -q "runtime error\|AddressSanitizer\|LeakSanitizer" "$T/err" || { cat "$T/err" >&2; fail "sanitizer: $3"; }
    [ $rc -eq "$1" ] || { cat "$T/err" >&2; fail "exit $rc, want $1: $3"; }
    [ -z "$2" ] || grep -Eq -- "$2" "$T/err" || { cat "$T/err" >&2; fail "stderr lacks '$2': $3"; }
    rows=$((rows + 1))
}
same() { cmp -s "$1" "$2" || fail "$1 was changed"; }

CT="classify train -q --epochs 1 --embed 8 --hidden 8 --ensemble 1"
GT="generate train -q --steps 3 --embed 8 --hidden 16 --layers 1 --batch 2 --seq-len 8"
cp "$D/sentiment/train.tsv" "$T/train.tsv"
cp "$T/train.tsv" "$T/train.copy"
"$R" $CT --train "$T/train.tsv" -o "$T/clf.db"
cp "$T/clf.db" "$T/clf.copy"
"$R" vocab build -q --format tsv -o "$T/vocab.db" "$T/train.tsv"

# ---- an output never destroys an input or a foreign file
row 1 "train.tsv: the output is the input" "$R" $CT --train "$T/train.tsv" -o "$T/train.tsv"
same "$T/train.tsv" "$T/train.copy"
row 1 "train.tsv: the output is the input" "$R" $CT --train "$T/train.tsv" -o "$T/train.tsv" --force
same "$T/train.tsv" "$T/train.copy"
ln -s "$T/train.tsv" "$T/sym.tsv"
row 1 "sym.tsv: the output is the input" "$R" $CT --train "$T/train.tsv" -o "$T/sym.tsv" --force
same "$T/train.tsv" "$T/train.copy"
[ -L "$T/sym.tsv" ] || fail "the symbolic link was replaced"
ln "$T/train.tsv" "$T/hard.tsv"
row 1 "hard.tsv: the output is the input" "$R" $CT --train "$T/train.tsv" -o "$T/hard.tsv" --force
same "$T/train.tsv" "$T/train.copy"
row 1 "train.tsv: the output is the input" "$R" vocab build -o "$T/train.tsv" "$T/train.tsv" --force
same "$T/train.tsv" "$T/train.copy"
row 1 "clf.db: the output is the input" "$R" export -m "$T/clf.db" --format vocab-txt "$T/clf.db" --force
same "$T/clf.db" "$T/clf.copy"
row 1 "clf.db: the output is the input" "$R" report -m "$T/clf.db" -o "$T/clf.db" --force
same "$T/clf.db" "$T/clf.copy"
"$R" export -m "$T/clf.db" --format safetensors "$T/clf.st"
cp "$T/clf.st" "$T/clf.st.copy"
row 1 "clf.st: the output is the input" "$R" import --format safetensors "$T/clf.st" --vocab "$T/vocab.db" -o "$T/clf.st"
same "$T/clf.st" "$T/clf.st.copy"

printf 'my notes\n' >"$T/notes.txt"
cp "$T/notes.txt" "$T/notes.copy"
row 1 "notes.txt: exists and is not an rnnkit file.*--force" "$R" $CT --train "$T/train.tsv" -o "$T/notes.txt"
same "$T/notes.txt" "$T/notes.copy"
row 1 "notes.txt: exists" "$R" vocab build -o "$T/notes.txt" "$T/train.tsv"
row 1 "notes.txt: exists" "$R" export -m "$T/clf.db" --format hf-tokenizer "$T/notes.txt"
row 1 "notes.txt: exists" "$R" report -m "$T/clf.db" -o "$T/notes.txt"
same "$T/notes.txt" "$T/notes.copy"
row 1 "vocab.db: exists and is a vocabulary file, not a classifier model" \
    "$R" $CT --train "$T/train.tsv" -o "$T/vocab.db"
row 1 "clf.db: exists and is a classifier model file, not a generator" \
    "$R" $GT --train "$D/text/verse.txt" -o "$T/clf.db"
same "$T/clf.db" "$T/clf.copy"
row 0 "" "$R" $CT --train "$T/train.tsv" -o "$T/notes.txt" --force
"$R" classify predict -m "$T/notes.txt" "$D/sentiment/docs" >/dev/null || fail "--force did not write a model"
row 0 "" "$R" $CT --train "$T/train.tsv" -o "$T/clf.db" # a model of the same task: replaced as before

# ---- a link is written through, never replaced
ln -s clf.db "$T/link.db"
row 0 "" "$R" $CT --train "$T/train.tsv" -o "$T/link.db" --seed 3
[ -L "$T/link.db" ] || fail "-o through a symbolic link replaced the link"
cmp -s "$T/clf.db" "$T/clf.copy" && fail "-o through a link did not write its target"
ln -s v.txt "$T/dangling.txt"
row 0 "" "$R" export -m "$T/clf.db" --format vocab-txt "$T/dangling.txt"
[ -L "$T/dangling.txt" ] && [ -s "$T/v.txt" ] || fail "a dangling link's target was not created"

# ---- a full device, a full and a closed standard output
if mknod "$T/full" c 1 7 2>/dev/null; then
    for f in vocab-txt keras-tokenizer safetensors; do
        row 1 "full: write failed: No space left" "$R" export -m "$T/clf.db" --format $f "$T/full"
    done
    row 1 "full: write failed: No space left" "$R" report -m "$T/clf.db" -o "$T/full"
    row 1 "full: not a regular file" "$R" vocab build -o "$T/full" "$T/train.tsv"
    row 1 "full: not a regular file: a model file" "$R" $CT --train "$T/train.tsv" -o "$T/full"
    row 1 "full: not a regular file: a model file" "$R" import --format safetensors "$T/clf.st" \
        --vocab "$T/vocab.db" -o "$T/full"
    [ -c "$T/full" ] || fail "the device was replaced by a file"
    for cmd in "classify predict -m $T/clf.db $D/sentiment/docs" "vocab show $T/vocab.db" \
               "export -m $T/clf.db --format vocab-txt -" "report -m $T/clf.db -o -" \
               "vocab encode $T/vocab.db $T/train.tsv"; do
        set +e; $R $cmd >"$T/full" 2>"$T/err"; rc=$?; set -e
        check 1 "<stdout>|-: write failed" "$cmd >full"
    done
else
    echo "files.sh: mknod not allowed here: the full-device rows are skipped" >&2
fi
set +e; "$R" classify predict -m "$T/clf.db" "$D/sentiment/docs" >&- 2>"$T/err"; rc=$?; set -e
check 1 "<stdout>: write error" "classify predict >&-"
set +e; "$R" vocab show "$T/vocab.db" >&- 2>"$T/err"; rc=$?; set -e
check 1 "<stdout>: write error" "vocab show >&-"
"$R" $CT --train "$T/train.tsv" -o "$T/closed.db" >&- || fail "a command that prints nothing failed on a closed stdout"
"$R" generate train -q --steps 3 --embed 8 --hidden 16 --layers 1 --batch 2 --seq-len 8 \
    --train "$D/text/verse.txt" -o "$T/gen.db"
set +e; ("$R" generate sample -m "$T/gen.db" --length 200000 2>"$T/err"; echo $? >"$T/rc") | head -c 10 >/dev/null; set -e
[ ! -s "$T/err" ] || { cat "$T/err" >&2; fail "a closed pipe was reported"; }
rows=$((rows + 1))

# ---- files that are not regular, inside folders and named explicitly
mkdir -p "$T/docs/sub"
cp "$D/sentiment/docs/"* "$T/docs/sub/" 2>/dev/null || cp "$T/train.tsv" "$T/docs/sub/a.txt"
mkfifo "$T/docs/a_fifo"
sock=""
if command -v python3 >/dev/null 2>&1; then
    python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])" "$T/docs/sub/sock" && sock=1
fi
[ -n "$sock" ] || echo "files.sh: no python3 to make a socket: the socket row checks the FIFO only" >&2
ln -s .. "$T/docs/sub/up"                 # a loop back to an ancestor
ln -s loop2 "$T/docs/loop1"; ln -s loop1 "$T/docs/loop2"   # a chain that never ends
row 0 "docs: skipped [0-9]+ entr.* not a regular file" timeout 60 "$R" classify predict -m "$T/clf.db" "$T/docs"
grep -q "docs: skipped 3 symbolic link loops" "$T/err" || { cat "$T/err" >&2; fail "the loops were not counted"; }
[ -s "$T/out" ] || fail "no predictions next to the skipped entries"
# a folder per label with a FIFO, a socket and loops inside
mkdir -p "$T/corpus/pos" "$T/corpus/neg"
awk -F'\t' -v d="$T/corpus" '{ f = d "/" $1 "/" NR ".txt"; print $2 > f; close(f) }' "$T/train.tsv"
mkfifo "$T/corpus/pos/fifo"
[ -z "$sock" ] || python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])" "$T/corpus/neg/sock"
ln -s ../pos "$T/corpus/pos/again"
row 0 "corpus: skipped [12] entr" timeout 120 "$R" $CT --format dir --train "$T/corpus" -o "$T/dir.db"
# a FIFO named explicitly is read as a stream (as `<(zcat x.gz)` is)
mkfifo "$T/in.fifo"
head -n 300 "$T/train.tsv" >"$T/in.fifo" &
row 0 "" timeout 60 "$R" $CT --train "$T/in.fifo" -o "$T/fifo.db"
gzip -c "$T/train.tsv" >"$T/in.fifo" &
row 0 "" timeout 60 "$R" vocab build -q --format tsv -o "$T/fifo-vocab.db" "$T/in.fifo"

# ---- .gz inputs, truncated and corrupt ones, several --train files
gzip -c "$T/train.tsv" >"$T/train.tsv.gz"
gzip -c "$D/text/verse.txt" >"$T/verse.txt.gz"
row 0 "" "$R" $CT --train "$T/train.tsv.gz" -o "$T/gz.db"
row 0 "" "$R" $GT --train "$T/verse.txt.gz" -o "$T/gz-gen.db"
row 0 "" "$R" vocab build -q --format tsv -o "$T/gz-vocab.db" "$T/train.tsv.gz"
"$R" vocab build -q --format tsv -o "$T/plain-vocab.db" "$T/train.tsv"
"$R" vocab show "$T/gz-vocab.db" | sed 's/vocab\.db//; s/train\.tsv\.gz/train.tsv/' | sed 's/^vocabulary.*//' >"$T/a"
"$R" vocab show "$T/plain-vocab.db" | sed 's/vocab\.db//' | sed 's/^vocabulary.*//' >"$T/b"
cmp -s "$T/a" "$T/b" || fail "a .gz corpus counts differently from the plain one"
awk 'BEGIN { print "t,y"; for (i = 0; i < 200; i++) printf "%d,%.5f\n", i, sin(i / 3) }' | gzip -c >"$T/s.csv.gz"
row 0 "" "$R" forecast train --csv "$T/s.csv.gz" --target y -o "$T/gz-fc.db" --epochs 1 --quiet
head -c 400 "$T/train.tsv.gz" >"$T/cut.tsv.gz"
row 1 "cut.tsv.gz.*truncated gzip" "$R" $CT --train "$T/cut.tsv.gz" -o "$T/cut.db"
[ ! -e "$T/cut.db" ] || fail "a truncated .gz left a model behind"
row 1 "cut.tsv.gz.*truncated gzip" "$R" vocab build -o "$T/cut-vocab.db" "$T/cut.tsv.gz"
row 1 "cut.txt.gz.*truncated gzip" sh -c "head -c 300 '$T/verse.txt.gz' >'$T/cut.txt.gz' && '$R' $GT --train '$T/cut.txt.gz' -o '$T/cut-gen.db'"
head -c 100 "$T/s.csv.gz" >"$T/cut.csv.gz"
row 1 "cut.csv.gz.*truncated gzip" "$R" forecast train --csv "$T/cut.csv.gz" --target y -o "$T/cut-fc.db" --quiet
printf '\037\213garbage' >"$T/bad.gz"
row 1 "bad.gz.*corrupt gzip" "$R" vocab build -o "$T/bad-vocab.db" "$T/bad.gz"
head -n 1000 "$T/train.tsv" >"$T/part1.tsv"
tail -n +1001 "$T/train.tsv" | gzip -c >"$T/part2.tsv.gz"
row 0 "" "$R" $CT --train "$T/part1.tsv" --train "$T/part2.tsv.gz" -o "$T/two.db"
row 1 "part1.tsv: the output is the input" "$R" $CT --train "$T/part2.tsv.gz" --train "$T/part1.tsv" \
    -o "$T/part1.tsv" --force

# ---- one writer at a time; readers meanwhile; a killed writer blocks nothing
"$R" generate train -q --steps 100000 --embed 8 --hidden 64 --layers 1 --batch 4 --seq-len 16 \
    --checkpoint-steps 2 --train "$D/text/verse.txt" -o "$T/busy.db" 2>"$T/first.err" &
first=$!
pids="$first"
i=0
while [ $i -lt 200 ] && ! "$R" generate sample -m "$T/busy.db" --length 5 >/dev/null 2>&1; do
    sleep 0.1; i=$((i + 1))
done
row 1 "busy.db: another process \\(pid $first\\) is training" "$R" $GT --train "$D/text/verse.txt" -o "$T/busy.db"
row 1 "busy.db: another process \\(pid $first\\)" "$R" $GT --train "$D/text/verse.txt" -o "$T/busy.db" --resume
for k in 1 2 3; do # readers see the last checkpoint while it is being written
    row 0 "" "$R" generate sample -m "$T/busy.db" --length 20
    row 0 "" "$R" generate eval -m "$T/busy.db" "$D/text/verse.txt"
done
kill -9 "$first"
wait "$first" 2>/dev/null || true
pids=""
row 0 "" timeout 60 "$R" generate train -q --steps 3 --embed 8 --hidden 64 --layers 1 --batch 4 --seq-len 16 \
    --train "$D/text/verse.txt" -o "$T/busy.db"
[ ! -e "$T/busy.db.lock" ] || fail "the lock file stayed after the run"

echo "files.sh: $rows rows passed"
