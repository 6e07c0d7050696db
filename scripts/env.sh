# Sourced by the scripts: one place for the paths and flags every build uses.
export PATH="$HOME/.cargo/bin:$PATH"
# A target directory outside the clone survives between runs (and fresh clones) on the same
# machine, so a warm test run rebuilds only this project's own crates.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/vrnn-clustering/target}"
export TRUNK_OFFLINE=true
export TRUNK_SKIP_VERSION_CHECK=true
