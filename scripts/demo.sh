#!/bin/sh
# Sets everything up on a fresh Debian 12 machine, builds rnnkit and runs the
# main job on the bundled corpora (corpora/data): a vocabulary, a sentiment
# classifier that then classifies files, a character-level generator that
# continues a seed, and a forecaster of a monthly series. Under 3 minutes on
# 2 cores. Output goes to demo-out/.
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh
BUILD_DIR=${BUILD_DIR:-build}
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD_DIR" -j"$jobs" >/dev/null
R="$BUILD_DIR/rnnkit"
D=corpora/data
O=demo-out
mkdir -p "$O"
step() { printf '\n== %s\n$ %s\n' "$1" "$2"; }

step "1. a vocabulary from the training text" \
     "rnnkit vocab build --format tsv -o $O/vocab.db $D/sentiment/train.tsv"
"$R" vocab build --format tsv -o "$O/vocab.db" "$D/sentiment/train.tsv"
"$R" vocab show "$O/vocab.db" --top 10

step "2. a sentiment classifier (embedding + biLSTM + max pooling)" \
     "rnnkit classify train --train $D/sentiment/train.tsv --vocab $O/vocab.db -o $O/sentiment.db --epochs 6 ..."
"$R" classify train --train "$D/sentiment/train.tsv" --vocab "$O/vocab.db" -o "$O/sentiment.db" \
    --epochs 6 --lr 0.005 --embed-dropout 0.1 --embed 64 --hidden 64

step "3. classify some files" "rnnkit classify predict -m $O/sentiment.db $D/sentiment/docs/pos $D/sentiment/docs/neg | head"
"$R" classify predict -m "$O/sentiment.db" "$D/sentiment/docs/pos" "$D/sentiment/docs/neg" | head -n 6
printf 'what a wonderful , moving film\nthe plot was dull and the acting was not good\n' |
    "$R" classify predict -m "$O/sentiment.db" -

step "4. evaluate on held-out text" "rnnkit classify eval -m $O/sentiment.db $D/sentiment/test.tsv"
"$R" classify eval -m "$O/sentiment.db" "$D/sentiment/test.tsv"

step "5. a character-level generator" \
     "rnnkit generate train --train $D/text/verse.txt -o $O/verse.db --hidden 128 --layers 1 --steps 300 (light regularisation: a small text, a short run)"
"$R" generate train --train "$D/text/verse.txt" -o "$O/verse.db" --hidden 128 --layers 1 --embed 32 \
    --batch 32 --seq-len 64 --steps 300 --eval-every 100 --lr 0.005 --dropout 0.2 --weight-drop 0

step "6. continue a seed" "rnnkit generate sample -m $O/verse.db --prime ... --length 300"
seed=$(grep -m1 -E '^[A-Z]+:' "$D/text/verse.txt" || true)
"$R" generate sample -m "$O/verse.db" --prime "${seed:-A}" --length 300 --temperature 0.7 --seed 7

step "7. a forecaster of monthly sales (LSTM over 12 months; season and differencing chosen on validation)" \
     "rnnkit forecast train --csv $D/series/shop_sales.csv --target Sales -o $O/sales.db"
"$R" forecast train --csv "$D/series/shop_sales.csv" --target Sales -o "$O/sales.db" --quiet

step "8. its errors beside persistence and seasonal naive, then the next 6 months" \
     "rnnkit forecast eval -m $O/sales.db --csv $D/series/shop_sales.csv; rnnkit forecast predict ... --horizon 6"
"$R" forecast eval -m "$O/sales.db" --csv "$D/series/shop_sales.csv"
"$R" forecast predict -m "$O/sales.db" --csv "$D/series/shop_sales.csv" --horizon 6
printf '\ndemo done: models and vocabulary are in %s/\n' "$O"
