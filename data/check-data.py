#!/usr/bin/python3
"""Sanity checks for the files in data/: run by `meson test` (suite unit)."""

import argparse
import configparser
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

BUS_NAME = "org.sipsimple.Daemon1"
# Options the man page must document even if --help cannot be run.
KNOWN_OPTIONS = {"session", "system", "address", "verbose", "version"}

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def read_ini(path):
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive in unit files
    with open(path, encoding="utf-8") as f:
        parser.read_file(f)
    return parser


def check_unit(path, mode):
    unit = read_ini(path)
    svc = unit["Service"] if unit.has_section("Service") else {}
    check(svc.get("Type") == "notify", f"{path}: Type=notify")
    check(svc.get("BusName") == BUS_NAME, f"{path}: BusName={BUS_NAME}")
    check(svc.get("NotifyAccess") == "main", f"{path}: NotifyAccess=main")
    exec_start = svc.get("ExecStart", "")
    check(exec_start.startswith("/") and exec_start.endswith("/sipsimpled " + mode),
          f"{path}: ExecStart runs sipsimpled {mode} by absolute path")
    check("@" not in exec_start, f"{path}: no unsubstituted @variables@")
    check(unit.has_option("Install", "WantedBy"), f"{path}: [Install] WantedBy")


def check_activation(path):
    act = read_ini(path)
    sect = act["D-BUS Service"] if act.has_section("D-BUS Service") else {}
    check(sect.get("Name") == BUS_NAME, f"{path}: Name={BUS_NAME}")
    check(sect.get("Exec", "").startswith("/") and "@" not in sect.get("Exec", ""),
          f"{path}: Exec is an absolute path")
    check(sect.get("SystemdService") == "sipsimpled.service",
          f"{path}: SystemdService=sipsimpled.service")


def check_policy(path):
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        check(False, f"{path}: parses as XML ({e})")
        return
    check(root.tag == "busconfig", f"{path}: root element is busconfig")
    owners = [p.get("user") for p in root.iter("policy")
              if any(a.get("own") == BUS_NAME for a in p.iter("allow"))]
    check(owners == ["sipsimpled"], f"{path}: only user sipsimpled may own {BUS_NAME}")
    default = [p for p in root.iter("policy") if p.get("context") == "default"]
    check(any(d.get("send_destination") == BUS_NAME
              for p in default for d in p.iter("deny")),
          f"{path}: default context denies send_destination={BUS_NAME}")


def daemon_options(daemon):
    """Long options from `sipsimpled --help-all`, minus GOption's own help options."""
    try:
        out = subprocess.run([daemon, "--help-all"], capture_output=True, text=True,
                             timeout=20, check=True).stdout
    except (OSError, subprocess.SubprocessError) as e:
        check(False, f"{daemon} --help-all runs ({e})")
        return set()
    found = set(re.findall(r"^\s+(?:-\w, )?--([a-z][a-z0-9-]*)", out, re.M))
    return {o for o in found if o != "help" and not o.startswith("help-")}


def check_man(path, options):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    check(text.startswith(".TH SIPSIMPLED 8"), f"{path}: .TH SIPSIMPLED 8")
    for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "FILES", "EXIT STATUS",
                    "SEE ALSO"):
        check(re.search(rf"^\.SH \"?{section}", text, re.M) is not None,
              f"{path}: section {section}")
    for opt in sorted(options):
        escaped = "\\-\\-" + opt.replace("-", "\\-")
        check(escaped in text, f"{path}: documents --{opt}")
    check("sipsimplectl (1)" in text, f"{path}: SEE ALSO sipsimplectl(1)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--daemon")
    ap.add_argument("--user-unit", required=True)
    ap.add_argument("--system-unit")
    ap.add_argument("--activation", required=True)
    ap.add_argument("--policy", required=True)
    ap.add_argument("--man", required=True)
    args = ap.parse_args()

    check_unit(args.user_unit, "--session")
    if args.system_unit:
        check_unit(args.system_unit, "--system")
    check_activation(args.activation)
    check_policy(args.policy)
    options = set(KNOWN_OPTIONS)
    if args.daemon:
        options |= daemon_options(args.daemon)
    check_man(args.man, options)

    if failures:
        print(f"{len(failures)} check(s) failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
