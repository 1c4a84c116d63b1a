#!/usr/bin/env bash
# Synthesised keyword data set at the Google Speech Commands shape: the 30
# keywords spoken by espeak-ng voices (an accent and a voice variant each) at
# random speeds, pitches and volumes, placed at a random offset in 1 s of
# 16 kHz mono 16-bit audio with background noise (white, pink or brown, at
# several levels, some clips clean), made with sox. Deterministic: the same
# seed and options give the same files, byte for byte (espeak-ng is
# deterministic, sox runs with -R and no dither).
#
# The split is by voice: the test voices never speak in the training set.
#
# Usage: scripts/speech_dataset.sh [options] OUTDIR
#   --voices N    voices drawn from accents x variants (default 250)
#   --test N      of those, voices kept for the test set (default 50)
#   --reps R      clips per voice and keyword (default 3)
#   --seed S      seed (default 1)
#   --jobs J      parallel workers (default: the processors online)
# Writes OUTDIR/clips/<voice>/<word>_<rep>.wav and the lists OUTDIR/train.txt
# and OUTDIR/test.txt ("<word> <path relative to OUTDIR>" per line, in a
# seeded random order); the lists are written last, so a finished OUTDIR has
# both. A clip appears under its name only once whole, so a run that was
# stopped or failed resumes: running it again with the same options makes
# only the missing clips (the same bytes as in one run). A clip whose
# espeak-ng or sox fails is tried twice more (a loaded machine can refuse a
# process) before the run stops with its name and error.
# Needs espeak-ng and sox (Debian packages; build/deps.sh speech installs them).
set -euo pipefail

jobs=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
voices=250 test=50 reps=3 seed=1 out=
while [ $# -gt 0 ]; do
  case "$1" in
    --voices) voices=$2; shift 2 ;;
    --test) test=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "speech_dataset: unknown option $1" >&2; exit 2 ;;
    *) out=$1; shift ;;
  esac
done
[ -n "$out" ] || { echo "usage: $0 [options] OUTDIR (--help)" >&2; exit 2; }
for v in "$voices" "$test" "$reps" "$seed" "$jobs"; do
  [[ "$v" =~ ^[0-9]+$ ]] || { echo "speech_dataset: numeric options only" >&2; exit 2; }
done
[ "$test" -lt "$voices" ] && [ "$voices" -ge 2 ] && [ "$test" -ge 1 ] && [ "$reps" -ge 1 ] &&
  [ "$jobs" -ge 1 ] || { echo "speech_dataset: need 1 <= --test < --voices, --reps, --jobs >= 1" >&2; exit 2; }
command -v espeak-ng >/dev/null && command -v sox >/dev/null ||
  { echo "speech_dataset: needs espeak-ng and sox (build/deps.sh speech)" >&2; exit 1; }

# The Google Speech Commands keywords, in label order (alphabetical).
words=(bed bird cat dog down eight five four go happy house left marvin nine no off on one
       right seven sheila six stop three tree two up wow yes zero)
accents=(en-gb en-us en-gb-scotland en-gb-x-rp en-gb-x-gbclan en-gb-x-gbcwmd en-029 en-us-nyc)
# espeak-ng's voice variants, except those that do not speak the words
# (whisper variants carry almost no energy below the noise, fast_test is a
# test voice).
mapfile -t variants < <(espeak-ng --voices=variant | awk 'NR > 1 { sub("!v/", "", $4); print $4 }' |
                         grep -v -x -e whisper -e female_whisper -e fast_test | LC_ALL=C sort)
pairs=$(( ${#accents[@]} * ${#variants[@]} ))
[ "$voices" -le "$pairs" ] || { echo "speech_dataset: at most $pairs voices" >&2; exit 2; }

# A 31-bit LCG: the same numbers on every machine and bash version.
rng=$(( (seed * 2654435761 + 12345) % 2147483648 ))
draw() { # draw N: a number 0..N-1 into $r
  rng=$(( (rng * 1103515245 + 12345) % 2147483648 ))
  r=$(( (rng >> 8) % $1 ))
}

# Voices: a seeded shuffle of accent x variant pairs; the first `test` are
# the test voices.
order=()
for ((i = 0; i < pairs; i++)); do order+=("$i"); done
for ((i = pairs - 1; i > 0; i--)); do
  draw $((i + 1)); t=${order[i]}; order[i]=${order[r]}; order[r]=$t
done

mkdir -p "$out/clips" "$out/noise"
# Clips of an earlier run are kept only if it had the same options.
stamp="voices=$voices test=$test reps=$reps seed=$seed"
if [ -f "$out/options" ] && [ "$(cat "$out/options")" != "$stamp" ]; then
  echo "speech_dataset: $out was made with $(cat "$out/options"); remove it or use those" >&2
  exit 2
fi
echo "$stamp" > "$out/options"
work=$(mktemp -d "$out/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Background noise: 12 s of each colour at 22050 Hz (espeak-ng's rate),
# cut into 4 segments of 1.2 s so clips do not all share one noise.
for colour in white pink brown; do
  sox -R -D -n -r 22050 -b 16 -c 1 "$work/$colour.wav" synth 12 ${colour}noise vol 0.5
  for s in 0 1 2 3; do
    sox -R -D "$work/$colour.wav" "$out/noise/$colour$s.wav" trim $((s * 3)) 1.2
  done
done
noises=(white0 white1 white2 white3 pink0 pink1 pink2 pink3 brown0 brown1 brown2 brown3)
# Noise amplitude relative to the noise files: none for one clip in 8.
levels=(0 0.01 0.02 0.04 0.07 0.1 0.15 0.2)

: > "$work/jobs"
: > "$work/train.txt"
: > "$work/test.txt"
for ((k = 0; k < voices; k++)); do
  p=${order[k]}
  accent=${accents[p % ${#accents[@]}]}
  variant=${variants[p / ${#accents[@]}]}
  voice="$accent+$variant"
  list=train; [ "$k" -lt "$test" ] && list=test
  mkdir -p "$out/clips/$voice"
  for ((w = 0; w < ${#words[@]}; w++)); do
    for ((rep = 0; rep < reps; rep++)); do
      draw 101; speed=$((130 + r))          # words per minute, 130..230
      draw 61;  pitch=$((20 + r))           # 20..80 of espeak's 0..99
      draw 101; amp=$((50 + r))             # espeak amplitude, 50..150
      draw 31;  lead=$((r * 10))            # leading silence, 0..300 ms
      draw ${#noises[@]}; noise=${noises[r]}
      draw ${#levels[@]}; level=${levels[r]}
      rel="clips/$voice/${words[w]}_$rep.wav"
      echo "$voice $speed $pitch $amp $lead $noise $level ${words[w]} $rel" >> "$work/jobs"
      echo "${words[w]} $rel" >> "$work/$list.txt"
    done
  done
done

# Workers: each reads its share of the job lines; one espeak-ng and one sox
# per clip. sox mixes the speech with the noise (both at 22050 Hz), then
# resamples to 16 kHz and keeps exactly the first second (-V1: errors only,
# not the clipping warnings of loud voices), into a .part file renamed when
# whole.
cat > "$work/worker.sh" <<'EOF'
#!/usr/bin/env bash
set -euo pipefail
out=$1
while read -r voice speed pitch amp lead noise level word rel; do
  [ -f "$out/$rel" ] && continue # made by an earlier run
  for try in 1 2 3; do
    if espeak-ng -v "$voice" -s "$speed" -p "$pitch" -a "$amp" -m --stdout \
           "<speak><break time=\"${lead}ms\"/>$word</speak>" 2> "$out/$rel.err" |
         sox -V1 -R -D -m -v 1 -t wav - -v "$level" "$out/noise/$noise.wav" \
             -r 16000 -b 16 -c 1 -t wav "$out/$rel.part" rate 16k trim 0 1 2>> "$out/$rel.err"; then
      mv "$out/$rel.part" "$out/$rel"
      rm -f "$out/$rel.err"
      break
    fi
    if [ "$try" = 3 ]; then
      echo "speech_dataset: $rel failed 3 times: $(tr '\n' ' ' < "$out/$rel.err")" >&2
      exit 1
    fi
    sleep 1
  done
done < "$2"
EOF
split -n "r/$((jobs * 8))" "$work/jobs" "$work/chunk."
ls "$work"/chunk.* | xargs -P "$jobs" -n 1 bash "$work/worker.sh" "$out" ||
  { echo "speech_dataset: a worker failed" >&2; exit 1; }
# The lists in a seeded random order, so that their first N clips are a
# fair sample (voices and keywords mixed).
for list in train test; do
  shuf --random-source=<(yes "sirnn speech $seed $list") "$work/$list.txt" > "$work/$list.shuf"
done
mv "$work/train.shuf" "$out/train.txt"
mv "$work/test.shuf" "$out/test.txt"
n_train=$(wc -l < "$out/train.txt") n_test=$(wc -l < "$out/test.txt")
echo "speech_dataset: $out: $n_train training clips ($((voices - test)) voices), $n_test test clips ($test voices)"
