# bash completion for gvab: commands, each command's options (read from its
# own help text, so completion and help cannot drift), and arm names: patch
# series for `build --arm`, the arms of the run directory on the line for
# `gate --baseline/--candidate`. Installed by `make install` into
# share/bash-completion/completions/gvab; or: source rig/cmd/gvab-completion.bash

_gvab_commands() {
    gvab --help 2>/dev/null | awk '/^commands:/ {on = 1; next} on && /^  [a-z]/ {print $1}'
}

# The long options of the option rows only ("  -q, --quiet", "  --out DIR",
# "  --reps N --seed N  text": two spaces, a dash, up to the text column), not
# options the prose mentions (another command's, as footprint's --cold).
_gvab_options() {
    gvab help "$1" 2>/dev/null | sed -n 's/^  \(-.*\)$/\1/p' | sed 's/  .*//' |
        grep -oE -- '--[a-z][a-z0-9-]*' | sort -u
}

# Arm names of the first run directory on the command line (run.json).
_gvab_run_arms() {
    local w
    for w in "${COMP_WORDS[@]:2}"; do
        if [ -f "$w/run.json" ]; then
            grep -oE '"name":[[:space:]]*"[^"]*"' "$w/run.json" | sed 's/.*"\([^"]*\)"$/\1/' | sort -u
            return
        fi
    done
}

_gvab() {
    local cur prev cmd
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W "$(_gvab_commands) help version" -- "$cur"))
        return
    fi
    cmd=${COMP_WORDS[1]}
    case "$cmd" in
        help)
            COMPREPLY=($(compgen -W "$(_gvab_commands)" -- "$cur"))
            return ;;
    esac
    case "$prev" in
        --arm)
            if [ "$cmd" = build ] || [ "$cmd" = bisect ]; then
                COMPREPLY=($(compgen -W "stock patched $(ls patches 2>/dev/null)" -- "$cur"))
            else
                COMPREPLY=($(compgen -f -- "$cur"))
            fi
            return ;;
        --baseline|--candidate)
            COMPREPLY=($(compgen -W "$(_gvab_run_arms)" -- "$cur"))
            return ;;
        --metric|--sort)
            COMPREPLY=($(compgen -W "create start wait delete core overall" -- "$cur"))
            return ;;
        --source)
            COMPREPLY=($(compgen -W "module debian" -f -- "$cur"))
            return ;;
        --order)
            COMPREPLY=($(compgen -W "abba alternate random latin" -- "$cur"))
            return ;;
        --out|--bundle|--cache|--patches|--series|--inventory|--results|--revisions|--go|--blob-source)
            COMPREPLY=($(compgen -f -- "$cur"))
            return ;;
    esac
    if [[ "$cur" == -* ]]; then
        COMPREPLY=($(compgen -W "$(_gvab_options "$cmd")" -- "$cur"))
    else
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}
complete -F _gvab gvab
