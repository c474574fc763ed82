#!/usr/bin/env python3
"""Reads Bazel's --execution_log_json_file (Bazel 4.2.3's format).

The file is a stream of SpawnExec messages as JSON objects, one after the
other (not a JSON array). Each has "mnemonic", "runner", "remoteCacheHit",
"commandArgs", "environmentVariables", "inputs" and "actualOutputs" (path and
digest). Only spawns Bazel ran or fetched from a remote/disk cache are in it:
actions that were up to date in the local action cache are not.

  execlog.py summary LOG                   per mnemonic: spawns, remote cache hits, executed
  execlog.py count LOG REGEX executed|hit  how many spawns whose mnemonic fully matches REGEX
  execlog.py outputs LOG [REGEX [executed|hit]]
                                           their output paths (execroot-relative), sorted
  execlog.py tool LOG REGEX                the Go binary (a GoLink output) those spawns all
                                           have among their inputs: the tool they run
  execlog.py leaks LOG STRING...           spawns whose command, environment or paths hold
                                           any STRING (exit 1 if some do)
  execlog.py diff LOG_A LOG_B              what differs between the spawns of two builds
                                           (command, environment, input digests): why a
                                           cache missed

Exit status 2 on usage errors, 1 on a failed check (leaks).
"""

import collections
import json
import re
import sys


def load(path):
    dec = json.JSONDecoder()
    with open(path, encoding="utf-8") as f:
        text = f.read()
    spawns, i = [], 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return spawns
        obj, i = dec.raw_decode(text, i)
        spawns.append(obj)


def hit(s):
    return bool(s.get("remoteCacheHit", False))


def select(spawns, regex, which="all"):
    pat = re.compile(regex)
    out = []
    for s in spawns:
        if not pat.fullmatch(s.get("mnemonic", "")):
            continue
        if which == "hit" and not hit(s):
            continue
        if which == "executed" and hit(s):
            continue
        out.append(s)
    return out


def outputs(spawns):
    paths = set()
    for s in spawns:
        for o in s.get("actualOutputs", []):
            paths.add(o["path"])
    return sorted(paths)


def summary(spawns):
    rows = collections.OrderedDict()
    for s in sorted(spawns, key=lambda s: s.get("mnemonic", "")):
        r = rows.setdefault(s.get("mnemonic", "?"), [0, 0, 0])
        r[0] += 1
        r[1 if hit(s) else 2] += 1
    print("  %-26s %7s %17s %9s" % ("mnemonic", "spawns", "remote cache hit", "executed"))
    tot = [0, 0, 0]
    for m, r in rows.items():
        print("  %-26s %7d %17d %9d" % (m, r[0], r[1], r[2]))
        tot = [a + b for a, b in zip(tot, r)]
    print("  %-26s %7d %17d %9d" % ("total", tot[0], tot[1], tot[2]))


def key(s):
    outs = s.get("listedOutputs") or [o["path"] for o in s.get("actualOutputs", [])]
    return (s.get("mnemonic", ""), outs[0] if outs else "")


def strings_of(s):
    yield from s.get("commandArgs", [])
    for e in s.get("environmentVariables", []):
        yield "%s=%s" % (e.get("name", ""), e.get("value", ""))
    for f in s.get("inputs", []) + s.get("actualOutputs", []):
        yield f["path"]
    yield from s.get("listedOutputs", [])


def leaks(spawns, needles):
    bad = 0
    for s in spawns:
        found = sorted({n for n in needles for x in strings_of(s) if n in x})
        if found:
            bad += 1
            print("  %s %s mentions %s" % (s.get("mnemonic"), key(s)[1], ", ".join(found)))
    return bad


def diff(a, b):
    ka = {key(s): s for s in a}
    kb = {key(s): s for s in b}
    for k in sorted(set(ka) | set(kb)):
        sa, sb = ka.get(k), kb.get(k)
        if sa is None or sb is None:
            print("%s %s: only in %s" % (k[0], k[1], "B" if sa is None else "A"))
            continue
        notes = []
        for field in ("commandArgs", "environmentVariables", "platform"):
            if sa.get(field) != sb.get(field):
                notes.append(field + " differ")
        ia = {f["path"]: f["digest"]["hash"] for f in sa.get("inputs", [])}
        ib = {f["path"]: f["digest"]["hash"] for f in sb.get("inputs", [])}
        for p in sorted(set(ia) | set(ib)):
            if ia.get(p) != ib.get(p):
                notes.append("input %s: %s -> %s" % (p, ia.get(p, "absent")[:12], ib.get(p, "absent")[:12]))
        oa = {f["path"]: f["digest"]["hash"] for f in sa.get("actualOutputs", [])}
        ob = {f["path"]: f["digest"]["hash"] for f in sb.get("actualOutputs", [])}
        for p in sorted(set(oa) | set(ob)):
            if oa.get(p) != ob.get(p):
                notes.append("output %s: %s -> %s" % (p, oa.get(p, "absent")[:12], ob.get(p, "absent")[:12]))
        if notes:
            print("%s %s:\n    %s" % (k[0], k[1], "\n    ".join(notes)))


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    cmd, log = argv[1], argv[2]
    spawns = load(log)
    if cmd == "summary" and len(argv) == 3:
        summary(spawns)
    elif cmd == "count" and len(argv) == 5 and argv[4] in ("executed", "hit", "all"):
        print(len(select(spawns, argv[3], argv[4])))
    elif cmd == "outputs" and 3 <= len(argv) <= 5:
        regex = argv[3] if len(argv) > 3 else ".*"
        which = argv[4] if len(argv) > 4 else "all"
        print("\n".join(outputs(select(spawns, regex, which))))
    elif cmd == "tool" and len(argv) == 4:
        # The binary those spawns run: what a GoLink spawn of the log made and
        # every one of them has among its inputs.
        users = select(spawns, argv[3])
        tools = set(outputs(select(spawns, "GoLink")))
        for s in users:
            tools &= {f["path"] for f in s.get("inputs", [])}
        if not users or len(tools) != 1:
            sys.exit("execlog: %d GoLink outputs are inputs of all %d %s spawns: %s"
                     % (len(tools), len(users), argv[3], sorted(tools)))
        print(tools.pop())
    elif cmd == "leaks" and len(argv) >= 4:
        sys.exit(1 if leaks(spawns, argv[3:]) else 0)
    elif cmd == "diff" and len(argv) == 4:
        diff(spawns, load(argv[3]))
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main(sys.argv)
