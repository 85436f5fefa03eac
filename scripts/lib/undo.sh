# --- generations and undo (scripts/undo/<step>.sh: each remote command's delete) ---------------------------------
# A step run by the program carries LEMP_GENERATION, an id of its own inputs (lib/steps.ts). On success lemp_finish
# records it in $LEMP_GENERATION_DIR/<step>. The step's undo (its command's delete) acts only when the host still
# carries that same generation: when a changed setting replaces the command, Pulumi runs the new create first and the
# old delete after it, and that old delete must not undo what the new create has just applied.
LEMP_GENERATION_DIR=$LEMP_STATE_DIR/generation
LEMP_UNDOING=0

lemp_generation_record() {   # bookkeeping of lemp_finish, not counted as a change
  [ -n "${LEMP_GENERATION:-}" ] && [ "$LEMP_UNDOING" = 0 ] || return 0
  [[ $LEMP_GENERATION =~ ^[0-9a-f]{8,64}$ ]] || lemp_die "LEMP_GENERATION must be 8-64 hex digits"
  local file=$LEMP_GENERATION_DIR/$LEMP_STEP name have
  [ -d "$LEMP_STATE_DIR" ] || install -d -m 0700 "$LEMP_STATE_DIR"   # never change its mode (database.sh owns it)
  [ -d "$LEMP_GENERATION_DIR" ] || install -d -m 0700 "$LEMP_GENERATION_DIR"
  # the live generation's settings (never a secret: those come on stdin), for the undo of a replaced generation:
  # NAME=value records each ended by a NUL (a value of the environment holds none), written by builtins only
  for name in $(compgen -e -X '!LEMP_*'); do
    case $name in LEMP_GENERATION | LEMP_CHECK_ONLY) continue ;; esac
    printf '%s=%s\0' "$name" "${!name}"
  done >"$file.env0.new"
  if cmp -s "$file.env0.new" "$file.env0"; then rm -f "$file.env0.new"; else mv -f "$file.env0.new" "$file.env0"; fi
  [ ! -e "$file.env" ] || rm -f "$file.env"   # the format before (base64 lines), replaced by .env0
  have=""
  [ ! -f "$file" ] || read -r have <"$file" || true
  # the generations this host carried, oldest first: a delete tells from it a generation replaced here (its
  # successor's create ran) from one it cannot know (lemp_undo_live); the record before it is the first line
  if [ ! -f "$file.history" ] && [ -n "$have" ]; then printf '%s\n' "$have" >"$file.history"; fi
  if ! grep -qxF -- "$LEMP_GENERATION" "$file.history" 2>/dev/null; then printf '%s\n' "$LEMP_GENERATION" >>"$file.history"; fi
  [ "$have" != "$LEMP_GENERATION" ] || return 0
  printf '%s\n' "$LEMP_GENERATION" >"$file.new"
  mv -f "$file.new" "$file"
}

# lemp_undo_begin STEP: the start of an undo script. Settings: those of the step's create (the same LEMP_* values),
# LEMP_GENERATION (the generation to undo; unset when run by hand: undo whatever is there), LEMP_DESTROY_DATA and
# LEMP_PURGE_PACKAGES (1/0, default 0).
lemp_undo_begin() {
  lemp_init "$1"
  LEMP_UNDOING=1
  LEMP_DESTROY_DATA=${LEMP_DESTROY_DATA:-0}
  LEMP_PURGE_PACKAGES=${LEMP_PURGE_PACKAGES:-0}
  lemp_require LEMP_DESTROY_DATA '^[01]$' '1 or 0'
  lemp_require LEMP_PURGE_PACKAGES '^[01]$' '1 or 0'
  [ -z "${LEMP_GENERATION:-}" ] || lemp_require LEMP_GENERATION '^[0-9a-f]{8,64}$' '8-64 hex digits'
}

# lemp_undo_live: true when this host still carries the generation being undone (or run by hand): undo it all.
# False when it carries another one that replaced it here (the command was replaced and its successor's create
# already ran: undo only what that successor does not use, see lemp_live_setting) or none (never applied, or undone
# already). A host carrying a generation while the one being undone never ran here (another stack's, a state
# restored from elsewhere, a host rebuilt and applied by hand) cannot tell what this delete may undo: it stops with
# exit 5, naming what it left (the delete fails: `destroy` does not report a success that did nothing).
lemp_undo_live() {
  local have="" file=$LEMP_GENERATION_DIR/$LEMP_STEP
  [ ! -f "$file" ] || read -r have <"$file" || true
  if [ -z "${LEMP_GENERATION:-}" ] || [ "$have" = "$LEMP_GENERATION" ]; then return 0; fi
  if [ -n "$have" ] && ! grep -qxF -- "$LEMP_GENERATION" "$file.history" 2>/dev/null; then
    lemp_die 5 "this host carries generation $have of step $LEMP_STEP, and generation $LEMP_GENERATION (the one this" \
      "delete undoes) never ran here: it cannot tell what it may undo, so it undid nothing. Left on the host: the" \
      "live configuration of $LEMP_STEP (generation $have, settings in $file.env0). Undo it by hand" \
      "(scripts/undo/$LEMP_STEP.sh without LEMP_GENERATION), or leave it and take the host out of the stack with" \
      "seed-web:forget (README: removing a host)"
  fi
  lemp_log "this host carries generation '${have:-none}' of $LEMP_STEP, not $LEMP_GENERATION: the live configuration stays"
  return 1
}
lemp_undo_has_live() { [ -s "$LEMP_GENERATION_DIR/$LEMP_STEP" ]; }   # some generation of the step is live
lemp_live_setting() {   # NAME: the value the live generation of the step was created with (empty: none)
  local file=$LEMP_GENERATION_DIR/$LEMP_STEP record line
  if [ -f "$file.env0" ]; then
    while IFS= read -r -d '' record; do
      if [[ $record == "$1="* ]]; then printf '%s' "${record#*=}"; return 0; fi
    done <"$file.env0"
    return 0
  fi
  # recorded by an earlier version of these scripts: NAME=base64 lines
  line=$(grep -m1 "^$1=" "$file.env" 2>/dev/null || true)
  [ -z "$line" ] || printf '%s' "${line#*=}" | base64 -d
}
lemp_undo_skip() {   # the end of an undo that left the live configuration alone
  lemp_fact undone 0
  lemp_finish
  exit 0
}
lemp_undo_end() {   # the end of a full undo: the generation is forgotten, and the record of what was there before
  rm -f "$LEMP_GENERATION_DIR/$LEMP_STEP" "$LEMP_GENERATION_DIR/$LEMP_STEP.env0" "$LEMP_GENERATION_DIR/$LEMP_STEP.env" \
    "$LEMP_GENERATION_DIR/$LEMP_STEP.history"
  rm -f "$LEMP_STATE_DIR/before/$LEMP_STEP"
  rmdir "$LEMP_STATE_DIR/before" 2>/dev/null || true
  rmdir "$LEMP_GENERATION_DIR" 2>/dev/null || true
  lemp_fact undone 1
  lemp_finish
}

