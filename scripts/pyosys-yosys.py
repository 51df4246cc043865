#!/usr/bin/env python3
"""A `yosys` command on top of the `pyosys` package (Yosys as a Python extension), for the
subset of the command line half-gen and its bench scripts use:

    yosys -V                  print the version line
    yosys [-q] -s SCRIPT      run a script file
    yosys [-q] -p COMMANDS    run commands (separated by `;`)

The output is quiet as with `-q`: Yosys' own log goes to a temporary file, and only when a
command fails are its last 15 lines printed on stderr (exit code 1). Yosys runs in a child
process, which dies with this one (so a time limit that kills this process stops the
synthesis too); Yosys' `log_error` ends its process, which is why it cannot run in this one.

scripts/yosys-env.sh installs it, with a pinned pyosys, as `bin/yosys` of a virtual
environment.
"""
import ctypes
import os
import sys
import tempfile

PR_SET_PDEATHSIG = 1


def usage() -> None:
    print("usage: yosys -V | yosys [-q] (-s SCRIPT | -p COMMANDS)", file=sys.stderr)
    sys.exit(2)


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "-q"]
    if args == ["-V"]:
        from pyosys import libyosys as ys

        print(ys.yosys_maybe_version(), flush=True)
        os._exit(0)
    if len(args) != 2 or args[0] not in ("-s", "-p"):
        usage()
    fd, full_log = tempfile.mkstemp(prefix="half-yosys-", suffix=".log")
    os.close(fd)
    script = args[1]
    if args[0] == "-p":
        fd, script = tempfile.mkstemp(prefix="half-yosys-", suffix=".ys")
        with os.fdopen(fd, "w") as f:
            f.write(args[1].replace(";", "\n") + "\n")
    try:
        pid = os.fork()
        if pid == 0:
            ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, 9)
            from pyosys import libyosys as ys

            ys.yosys_setup()
            ys.run_pass(f"tee -q -o {full_log} script {script}", ys.yosys_get_design())
            sys.stdout.flush()
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            with open(full_log, errors="replace") as f:
                tail = f.read().splitlines()[-15:]
            print("\n".join(tail), file=sys.stderr)
    finally:
        os.unlink(full_log)
        if args[0] == "-p":
            os.unlink(script)
    sys.exit(0 if code == 0 else 1)


if __name__ == "__main__":
    main()
