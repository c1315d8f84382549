#!/usr/bin/env bash
# Checks the jars of the published modules (those listed in bom/pom.xml) after `mvn verify`:
# each has a JPMS module name (module-info or Automatic-Module-Name), the names are distinct, no
# package is in two of them nor in another module's classes or tests, and each has a -sources.jar. Optionally (-Prelease) -javadoc.jar too:
# pass --javadoc to require them.
set -euo pipefail
cd "$(dirname "$0")/.."
want_javadoc=""; [ "${1:-}" = "--javadoc" ] && want_javadoc=1
version=$(sed -n 's:^  <version>\(.*\)</version>:\1:p' bom/pom.xml | head -1)
artifacts=$(sed -n '/<dependencyManagement>/,/<\/dependencyManagement>/s:.*<artifactId>\(.*\)</artifactId>.*:\1:p' bom/pom.xml)
fail=0; checked=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
manifest() { rm -rf "$tmp/m"; mkdir "$tmp/m"; (cd "$tmp/m" && jar xf "$OLDPWD/$1" META-INF/MANIFEST.MF && cat META-INF/MANIFEST.MF); }
declare -A owner_of_pkg owner_of_name
for a in $artifacts; do
  if [ ! -f "$a/pom.xml" ]; then
    echo "WARN: bom/pom.xml lists $a, which is not a module of this build"; continue
  fi
  jar="$a/target/$a-$version.jar"
  if [ ! -f "$jar" ]; then echo "FAIL: $jar missing (run mvn verify first)"; fail=1; continue; fi
  desc=$(jar --describe-module --file "$jar" 2>&1)
  name=$(printf '%s\n' "$desc" | sed -n '/^$/d;/No module descriptor/d;s/^\([A-Za-z0-9_.]*\)[@ ].*/\1/p' | head -1)
  if ! printf '%s\n' "$desc" | grep -q 'No module descriptor'; then kind=explicit
  elif manifest "$jar" | grep -q '^Automatic-Module-Name:'; then kind=automatic
  else kind=derived-from-file-name; fi
  case "$kind:$name" in
    derived-from-file-name:*|*:dev.hybridrelay.unnamed|*:) echo "FAIL: $jar has no stable module name ($kind '$name'); set <jpms.module.name> in $a/pom.xml"; fail=1 ;;
  esac
  if [ -n "${owner_of_name[$name]:-}" ]; then echo "FAIL: module name $name used by $a and ${owner_of_name[$name]}"; fail=1; fi
  owner_of_name[$name]=$a
  for p in $(printf '%s\n' "$desc" | sed -n 's/^contains \(.*\)/\1/p;s/^exports \([^ ]*\).*/\1/p'); do
    if [ -n "${owner_of_pkg[$p]:-}" ] && [ "${owner_of_pkg[$p]}" != "$a" ]; then
      echo "FAIL: split package $p: in $a and ${owner_of_pkg[$p]}"; fail=1
    fi
    owner_of_pkg[$p]=$a
  done
  [ -f "$a/target/$a-$version-sources.jar" ] || { echo "FAIL: $a: no -sources.jar"; fail=1; }
  if [ -n "$want_javadoc" ] && [ ! -f "$a/target/$a-$version-javadoc.jar" ]; then echo "FAIL: $a: no -javadoc.jar"; fail=1; fi
  echo "ok: $a -> $name ($kind): $(printf '%s\n' "$desc" | sed -n 's/^\(contains\|exports\) \([^ ]*\).*/\2/p' | paste -sd' ')"
  checked=$((checked + 1))
done
# No other module (examples, benchmarks, test kits, any module's tests) puts classes into a package of
# a published module.
for m in $(sed -n 's:^    <module>\(.*\)</module>:\1:p' pom.xml); do
  for d in "$m/target/classes" "$m/target/test-classes"; do
    [ -d "$d" ] || continue
    for p in $(cd "$d" && find . -name '*.class' -printf '%h\n' | sed 's:^\./::' | sort -u | tr / .); do
      o="${owner_of_pkg[$p]:-}"
      if [ -n "$o" ] && [ "$o" != "$m" ]; then echo "FAIL: $d has classes in package $p of $o"; fail=1; fi
    done
  done
done
echo "jar check: $checked published jars checked, $([ $fail = 0 ] && echo 'no problems' || echo 'problems above')"
exit $fail
