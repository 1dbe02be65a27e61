# Sourced by bin/hnswseg and bin/jmh after they set $script (the script itself, links followed) and $name.
# Sets $root (the project), $java (the java binary to run), $vector_module (the --add-modules option, or nothing),
# and defines maven (mvn run in $root with a JDK).

root=$(cd "$(dirname "$script")/.." && pwd)
if [ ! -f "$root/pom.xml" ]; then
  echo "$name: $root, where $script is, holds no pom.xml: run $name of a clone of the project (or a link to it)" >&2
  exit 1
fi

# JAVA, else $JAVA_HOME/bin/java, else java on the PATH; checked, so that a wrong one is named.
if [ -n "${JAVA:-}" ]; then
  java=$JAVA java_from="JAVA=$JAVA"
elif [ -n "${JAVA_HOME:-}" ]; then
  java=$JAVA_HOME/bin/java java_from="JAVA_HOME=$JAVA_HOME"
else
  java=java java_from="the PATH"
fi
if ! command -v "$java" >/dev/null 2>&1; then
  echo "$name: no java at $java (from $java_from): set JAVA to a java binary, or JAVA_HOME to a JDK 17 or 21" >&2
  exit 1
fi

# SIMD distances where the runtime has the module; a runtime without it (a jlinked one, say) would refuse to
# start when asked for it, and runs with the scalar kernels instead. A JDK's release file lists its modules.
release="$(dirname "$(dirname "$(readlink -f "$(command -v "$java")" 2>/dev/null || echo "$java")")")/release"
vector_module=()
if [ ! -f "$release" ] || ! grep -q '^MODULES=' "$release" || grep -q 'jdk\.incubator\.vector' "$release"; then
  vector_module=(--add-modules jdk.incubator.vector)
fi

# Maven in the project. Maven takes its Java from JAVA_HOME too; one without a compiler, or without the vector
# module the sources compile against (a runtime set for running only), cannot build, so Maven then finds its own.
maven() {
  local home_release="${JAVA_HOME:-}/release"
  if [ -n "${JAVA_HOME:-}" ] && { [ ! -x "$JAVA_HOME/bin/javac" ] || { grep -q '^MODULES=' "$home_release" 2>/dev/null \
      && ! grep -q 'jdk\.incubator\.vector' "$home_release"; }; }; then
    (cd "$root" && env -u JAVA_HOME mvn "$@")
  else
    (cd "$root" && mvn "$@")
  fi
}
