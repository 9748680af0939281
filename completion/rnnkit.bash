# Bash completion for rnnkit.
# Installed as share/bash-completion/completions/rnnkit; to try it from a
# source tree: source completion/rnnkit.bash
#
# Commands and verbs are listed here; the flags of a command or verb are read
# from its own `--help`, so they never fall out of date.

_rnnkit_flags()
{
    # $1: the rnnkit program, then the command words up to the verb
    "$@" --help 2>/dev/null | grep -oE -- '(^|[ ,])--?[A-Za-z][A-Za-z-]*' | sed 's/^[ ,]*//' | sort -u
}

_rnnkit()
{
    local cur prev words cword
    if declare -F _init_completion >/dev/null 2>&1; then
        _init_completion || return
    else
        COMPREPLY=()
        cur=${COMP_WORDS[COMP_CWORD]}
        prev=${COMP_WORDS[COMP_CWORD-1]}
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
    fi
    local prog=${words[0]}
    local commands="vocab classify generate forecast export import report"

    if [[ $cword -eq 1 ]]; then
        COMPREPLY=($(compgen -W "$commands --help --version" -- "$cur"))
        return
    fi
    local cmd=${words[1]} verb="" verbs=""
    case $cmd in
        vocab) verbs="build show encode decode" ;;
        classify) verbs="train predict eval" ;;
        generate) verbs="train sample eval" ;;
        forecast) verbs="train predict eval" ;;
    esac
    if [[ -n $verbs ]]; then
        if [[ $cword -eq 2 ]]; then
            COMPREPLY=($(compgen -W "$verbs --help" -- "$cur"))
            return
        fi
        verb=${words[2]}
    fi

    # Values of flags that take a fixed set of words, or a file.
    case $prev in
        --format|-f)
            case $cmd in
                export) COMPREPLY=($(compgen -W "safetensors vocab-txt keras-tokenizer hf-tokenizer" -- "$cur")) ;;
                import) COMPREPLY=($(compgen -W "safetensors" -- "$cur")) ;;
                classify) COMPREPLY=($(compgen -W "auto tsv fasttext dir" -- "$cur")) ;;
                vocab) COMPREPLY=($(compgen -W "lines tsv" -- "$cur")) ;;
                *) COMPREPLY=($(compgen -f -- "$cur")) ;;
            esac
            return ;;
        --quantize) COMPREPLY=($(compgen -W "int8" -- "$cur")); return ;;
        --cell) COMPREPLY=($(compgen -W "lstm gru rnn" -- "$cur")); return ;;
        --pool) COMPREPLY=($(compgen -W "last mean max" -- "$cur")); return ;;
        --bidirectional) COMPREPLY=($(compgen -W "yes no" -- "$cur")); return ;;
        --lr-schedule) COMPREPLY=($(compgen -W "cosine plateau" -- "$cur")); return ;;
        --precision) COMPREPLY=($(compgen -W "fp32 bf16" -- "$cur")); return ;;
        --ensemble) COMPREPLY=($(compgen -W "auto 1 2 3 4" -- "$cur")); return ;;
        --level) COMPREPLY=($(compgen -W "word char" -- "$cur")); return ;;
        --normalize) COMPREPLY=($(compgen -W "none nfc nfkc" -- "$cur")); return ;;
        --truncating) COMPREPLY=($(compgen -W "pre post" -- "$cur")); return ;;
        --unknown) COMPREPLY=($(compgen -W "error skip" -- "$cur")); return ;;
        --padding) COMPREPLY=($(compgen -W "pre post" -- "$cur")); return ;;
        --invalid) COMPREPLY=($(compgen -W "error replace skip" -- "$cur")); return ;;
        --log-format) COMPREPLY=($(compgen -W "text jsonl" -- "$cur")); return ;;
        --fill) COMPREPLY=($(compgen -W "none previous linear" -- "$cur")); return ;;
        --scale) COMPREPLY=($(compgen -W "none minmax standard" -- "$cur")); return ;;
        --difference) COMPREPLY=($(compgen -W "0 1 auto" -- "$cur")); return ;;
        --season) COMPREPLY=($(compgen -W "auto 1 4 7 12 24 52 365" -- "$cur")); return ;;
        --config)
            COMPREPLY=($(compgen -W "task= cell= embed= hidden= layers= bidirectional= pool= dropout= maxlen= keep_last=" -- "$cur"))
            compopt -o nospace 2>/dev/null
            return ;;
        -m|--model|-o|--output|--vocab|--data|--train|--valid|--check-copy|--csv|--init|--pretrained|\
        --pretrained-backward)
            COMPREPLY=($(compgen -f -- "$cur"))
            compopt -o filenames 2>/dev/null
            return ;;
        --epochs|--batch|--hidden|--embed|--layers|--lr|--seed|--steps|--length|--temperature|--top-k|--top-p|\
        --threads|--maxlen|--dropout|--clip|--patience|--seq-len|--eval-every|--title|--labels|--min-count|\
        --max-vocab|--count|--stop|--folds|--lr-decay|--valid-frac|--embed-dropout|--weight-drop|--embed-init|\
        --checkpoint-minutes|--checkpoint-steps|--member|--prime|--top|--value|--target|--features|--date|\
        --lookback|--horizon|--test-frac|--ema|--lr-body|--freeze-body)
            return ;;
    esac

    if [[ $cur == -* ]]; then
        local flags
        if [[ -n $verb ]]; then
            flags=$(_rnnkit_flags "$prog" "$cmd" "$verb")
        else
            flags=$(_rnnkit_flags "$prog" "$cmd")
        fi
        COMPREPLY=($(compgen -W "$flags" -- "$cur"))
        return
    fi
    COMPREPLY=($(compgen -f -- "$cur"))
    compopt -o filenames 2>/dev/null
}

complete -F _rnnkit rnnkit
