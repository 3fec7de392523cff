"""Feed thousands of mutated spec files to the cnncalc CLI; report every traceback, hang, crash and exit code
outside 0–3.

Not part of the test suite (it runs for minutes). Usage:

    python fuzz/fuzz_cli.py                      # 3,000 cases, seed 0
    python fuzz/fuzz_cli.py --cases 500 --seed 7 --timeout 5 --out /tmp/findings

Each case is a shipped spec or a small built-in one (or, for `cnncalc grade`, an answers file from examples/), mutated in its structure (hostile values, deleted or
misspelt keys, wrapped in repeats and branches, blocks that use themselves...) and often in its text (stray YAML
syntax, invalid UTF-8, tags, aliases, truncation), then run through one command with random options. Cases run
in a worker process through click's CliRunner (fast: no interpreter start per case); a case that does not answer
within --timeout seconds is a hang, and a worker that dies (a segfault, the memory limit) is a crash — either way
the worker is replaced and fuzzing goes on. Findings are written to --out (the spec, the arguments, the traceback)
and summarised at the end; the exit status is 1 when there is any finding.
"""

from __future__ import annotations

import argparse
import collections
import copy
import multiprocessing as mp
import random
import re
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import yaml
from yaml_places import get, places, put  # fuzz/ is on the path: this script's own folder

ROOT = Path(__file__).resolve().parent.parent
SLOW_S = 2.0  # a case that answers but takes longer than this is listed as slow
MEMORY_LIMIT = 3 * 2**30  # per worker: a runaway allocation becomes a MemoryError (a finding), not a swapped machine

SEEDS_INLINE = [
    """input: 32x32x3
layers: [conv3-8, relu, maxpool, FC-10, soft-max]
""",
    """name: blocks
input: 16x16x4
variables: {wide: false}
variants: {big: {wide: true}}
blocks:
  pair:
    args: {width: null, stride: 1}
    layers:
      - conv: {filters: $width * 2 if wide else width, kernel: 3, stride: $stride, pad: 1}
      - relu
  unit:
    args: [n]
    residual:
      body: [{conv: {filters: $n, kernel: 3, pad: 1, bias: false}}, bn, relu]
      shortcut: auto
      after: [relu]
layers:
  - {name: stage, repeat: 3, pair: {width: 8}, first: {stride: 2}}
  - {name: res, repeat: 2, unit: [8]}
  - {name: mix, concat: {a: [conv1-4], b: [{maxpool: {kernel: 3, stride: 1, pad: 1}}, conv1-4]}}
  - {name: grow, dense: {count: 3, body: [bn, relu, {conv: {filters: 2, kernel: 3, pad: 1}}]}}
  - {name: down, conv: {compress: 0.5, kernel: 1}}
  - gap
  - flatten
  - {fc: {units: 10, in_features: 7}}
paper: {params: 10K, ops: 1M}
""",
    """input: {channels: 1, height: 28, width: 28}
layers:
  - 6c5w1s2p
  - 2w2s
  - {name: c2, conv: {filters: 16, kernel: [5, 3], stride: [1, 2], pad: [0, 1], dilation: 1, groups: 2}}
  - {deconv: {filters: 4, kernel: 3, stride: 2, pad: 1, output_padding: 1}}
  - {local: {filters: 2, kernel: 3}}
  - {adaptive_avgpool: {output: [3, 5]}}
  - {maxout: {pieces: 2}}
  - {lrn: {size: 3}}
  - {zeropad: {pad: [1, 2, 3, 4]}}
  - {avgpool: {kernel: 2, ceil: true}}
  - {leaky_relu: {negative_slope: 0.2}}
  - {dropout: {p: 0.3}}
  - 120fc
  - {batchnorm: {affine: false}}
  - sigmoid
""",
    """input: [3, 8, 8]
blocks:
  a: {args: [n], layers: [{conv: {filters: $n, kernel: 1}}, b]}
  b: {layers: [relu]}
layers:
  - {repeat: 4, a: 2}
  - {name: inc, concat: [[a: 3], [conv1-5], [{maxpool: {kernel: 3, stride: 1, pad: 1}}]]}
""",
]

VALUES: list[Any] = [
    0, -1, 1, 2, 3, 5, 7, 64, 1000, 2**31, 2**63, 2**64, 2**64 + 1, 10**12, 10**30, 10**300,
    1.5, 0.5, -0.25, 1e308, float("inf"), float("nan"), True, False, None, "", " ", "yes", "no", "on", "off",
    "same", "valid", "depthwise", "auto", "identity", "relu", "conv3-64", "FC-10", "2w2s", "6c5w1s0p", "120fc",
    "224x224x3", "227", "0x0x3", "HxWx3", "Hx5", "1x1x1", "18446744073709551616x1x1", "$n", "$n * 2", "$1 / 0",
    "$n // 0", "$width if stride else 0", "$'a' * 1000000000", "$" + "-" * 300 + "1", "$(" * 80 + "1" + ")" * 80,
    "$__import__('os')", "$n.real", "$[1, 2]", "²", "٣", "x" * 5000, "1e999999999", "2.7K", "34M", [], {}, [1],
    [1, 2], [1, 2, 3], [1, 2, 3, 4], [0, 0], [-1, 3], [2**64, 1], ["a", "b"], {"a": 1}, {"filters": 3},
    {"kernel": 3}, {"conv": {"filters": 2, "kernel": 1}}, [{"relu": None}], ["relu", "relu"],
    # text that a writer could take for its own markup (issue 12): rich, ANSI, Markdown, LaTeX, line breaks
    "[/]", "[bold]x[/bold]", "[link=file:///etc/passwd]x[/link]", "\x1b[31mred\x1b[0m", "a|b*c", "x\ny",
    "\\input{/etc/passwd}", "%\n\\input{/etc/passwd}", "064", "1:30", "0x10", "1_000", "7,6,0", "1e-3",
    "9" * 4301, "FC-" + "9" * 4301, "input", "TOTAL", "add", "concat", "shortcut",
]
KEYS = ["filters", "kernel", "stride", "pad", "dilation", "groups", "bias", "units", "output", "pieces", "size",
        "alpha", "beta", "k", "p", "inplace", "ceil", "affine", "eps", "compress", "in_features", "output_padding",
        "negative_slope", "name", "repeat", "first", "paper", "expect", "count", "body", "shortcut", "after", "args",
        "layers", "concat", "residual", "dense", "conv", "relu", "maxpool", "fc", "flatten", "gap", "bn",
        "adaptive_avgpool", "deconv", "local", "zeropad", "kernal", "filter", "strides", "padding", "unit", "input",
        "blocks", "variables", "variants", "description", "params", "ops", "macs", "channels", "height", "width"]
SNIPPETS = ["[", "]", "{", "}", ":", ": ", ",", "- ", "&a ", "*a", "!!python/object/apply:os.system ['true'] ",
            "!!binary aGk=", "? ", "|", ">", "'", '"', "%YAML 1.1\n", "---\n", "...\n", "#", "\t", "@", "`", "\\",
            "\x00", "\ufeff", "\u2028", "!!float ", "!!int ", "<<: *a\n", "~", "=", "0x10", "0o7", "1_000", ".inf"]
FORMATS = ("table", "markdown", "latex", "csv", "json")  # every command writes each
ECHO = re.compile(r"(.)\1{60}")  # 61 equal characters in a row: an echo of "x" * 5000 (issue 12: at most 60)
INPUTS = ["224x224x3", "227", "32x40", "7", "0", "1x1x1", "18446744073709551616", "18446744073709551617",
          "1000000000000x1000000000000x3", "HxWx3", "Hx5", "N", "abc", "", "3x3x3x3", "²", "9" * 5000]


# --- mutations ----------------------------------------------------------------------------------------------------

def hostile_value(rng: random.Random, pool: list[Any]) -> Any:
    if rng.random() < 0.25 and pool:
        return copy.deepcopy(rng.choice(pool))  # a subtree of some other spec
    return copy.deepcopy(rng.choice(VALUES))


def mutate_structure(rng: random.Random, data: Any, pool: list[Any]) -> Any:
    for _ in range(rng.randint(1, 4)):
        where = rng.choice(places(data))
        target = get(data, where)
        roll = rng.random()
        if roll < 0.35:
            data = put(data, where, hostile_value(rng, pool))
        elif roll < 0.5 and where:
            parent = get(data, where[:-1])
            del parent[where[-1]]
        elif roll < 0.62 and isinstance(target, dict):
            target[rng.choice(KEYS)] = hostile_value(rng, pool)
        elif roll < 0.72 and isinstance(target, dict) and target:
            old = rng.choice(list(target))
            new = rng.choice(KEYS) if rng.random() < 0.5 else old[:-1] + old[-1:] * 2
            target[new] = target.pop(old)
        elif roll < 0.8 and isinstance(target, list) and target:
            i = rng.randrange(len(target))
            target.insert(i, copy.deepcopy(target[i]) if rng.random() < 0.7 else hostile_value(rng, pool))
        elif roll < 0.88:
            item = copy.deepcopy(target)
            wrapped = rng.choice([
                {"repeat": rng.choice([2, 10**6, 0, "$n"]), "layers": [item]},
                {"concat": [[item], [copy.deepcopy(item)]]},
                {"residual": {"body": [item], "shortcut": rng.choice(["auto", "identity", [item]])}},
                {"dense": {"count": rng.choice([1, 3, 10**6]), "body": [item]}},
                {"layers": [item, item]},
            ])
            data = put(data, where, wrapped)
        elif isinstance(data, dict):
            blocks = data.setdefault("blocks", {}) if isinstance(data.get("blocks", {}), dict) else {}
            name = rng.choice(["a", "b", "loop"])
            blocks[name] = rng.choice([{"layers": [name]}, {"layers": ["relu", rng.choice(["a", "b"])]},
                                       {"args": [rng.choice(["n", "m"])], "layers": [{"conv": {"filters": "$n",
                                                                                              "kernel": 1}}]}])
            if isinstance(data.get("layers"), list):
                data["layers"].append({name: rng.choice([None, 3, [1, 2], {"n": 2}])})
    return data


def mutate_text(rng: random.Random, text: str) -> bytes:
    lines = text.split("\n")
    for _ in range(rng.randint(1, 3)):
        roll = rng.random()
        i = rng.randrange(len(lines)) if lines else 0
        if roll < 0.3 and lines:
            pos = rng.randint(0, len(lines[i]))
            lines[i] = lines[i][:pos] + rng.choice(SNIPPETS) + lines[i][pos:]
        elif roll < 0.45 and lines:
            del lines[i]
        elif roll < 0.55 and lines:
            lines.insert(i, lines[i])
        elif roll < 0.65 and lines:
            lines[i] = " " * rng.randint(0, 6) + lines[i].lstrip()
        elif roll < 0.75:
            cut = rng.randint(0, len("\n".join(lines)))
            lines = "\n".join(lines)[:cut].split("\n")
        elif roll < 0.85 and lines:
            pos = rng.randint(0, len(lines[i]))
            lines[i] = lines[i][:pos] + str(rng.choice([0, -1, 2**64, 10**12, 99999999999999999999999])) + lines[i][pos:]
        else:
            lines.insert(i, rng.choice(["a: &x [1, 2]", "b: *x", "c: !!set {a, b}", "d: !!omap [{a: 1}]",
                                        "e: !!timestamp 2001-12-14", "<<: {input: 8x8x3}"]))
    raw = "\n".join(lines).encode("utf-8", "surrogatepass")
    if rng.random() < 0.05 and raw:
        pos = rng.randrange(len(raw))
        raw = raw[:pos] + bytes([rng.choice([0x80, 0xC3, 0xFF, 0xFE])]) + raw[pos:]
    return raw


GOOD_LAYERS: list[Any] = ["relu", "conv3-8", "conv1-4", "maxpool", "bn", "FC-10", "flatten", "gap", "dropout",
                          "LRN", "soft-max", {"conv": {"filters": 4, "kernel": 3, "stride": 2}},
                          {"avgpool": {"kernel": 3, "stride": 1, "pad": 1}}, {"deconv": {"filters": 2, "kernel": 2,
                                                                                           "stride": 2}},
                          {"zeropad": {"pad": 1}}, {"adaptive_avgpool": {"output": 2}}, {"maxout": {"pieces": 2}}]


def mutate_mildly(rng: random.Random, data: Any) -> Any:
    """Changes that often keep the spec valid, so that the analysis and the renderers see it: small numbers,
    ordinary layers inserted or removed."""
    for _ in range(rng.randint(1, 2)):
        where = rng.choice(places(data))
        target = get(data, where)
        if isinstance(target, int) and not isinstance(target, bool):
            data = put(data, where, rng.choice([1, 2, 3, 4, 5, 7, 8, 16, target * 2, max(1, target // 2)]))
        elif isinstance(target, list) and target and rng.random() < 0.7:
            target.insert(rng.randrange(len(target) + 1), copy.deepcopy(rng.choice(GOOD_LAYERS)))
        elif isinstance(target, list) and len(target) > 1:
            del target[rng.randrange(len(target))]
    return data


def make_case(rng: random.Random, seeds: list[Any], seed_texts: list[str]) -> bytes:
    i = rng.randrange(len(seeds))
    data = copy.deepcopy(seeds[i])
    roll = rng.random()
    if roll < 0.4:
        data = mutate_mildly(rng, data)
    elif roll < 0.95:
        pool = [get(s, p) for s in rng.choices(seeds, k=2) for p in rng.sample(places(s), min(3, len(places(s))))]
        data = mutate_structure(rng, data, pool)
    try:
        text = yaml.safe_dump(data, sort_keys=False, default_flow_style=None, allow_unicode=True, width=10**6)
    except (yaml.YAMLError, RecursionError):  # pragma: no cover - our own values always dump
        text = seed_texts[i]
    if roll >= 0.4 and rng.random() < 0.4:
        return mutate_text(rng, text)
    return text.encode("utf-8", "surrogatepass")


def make_args(rng: random.Random, spec: str) -> list[str]:
    command = rng.choices(["summarize", "table", "compare", "explain", "memory", "sweep", "check", "verify"],
                          weights=[45, 8, 6, 8, 10, 6, 12, 5])[0]
    if command == "check":
        args = ["check", "--input", rng.choice(INPUTS)]
        for option, values in (("--filter", [1, 3, 11, 2**64, 10**12, 0, -2]), ("--stride", [1, 2, 3, 2**64, 0]),
                               ("--pad", [0, 1, 2, 10**12, -1]), ("--dilation", [1, 2, 10**6]),
                               ("--filters", [1, 10, 2**64 + 1]), ("--pool", [2, 3, 2**64])):
            if rng.random() < 0.4:
                args += [option, str(rng.choice(values))]
        for flag in ("--ceil", "--no-bias"):
            if rng.random() < 0.2:
                args.append(flag)
        if rng.random() < 0.5:
            args += ["--format", rng.choice(FORMATS + ("text",))]
        return args
    args = [command, spec]
    if command == "compare":
        args.append(str(ROOT / "specs" / rng.choice(["lenet5.yaml", "resnet18.yaml", "vgg11.yaml"])))
        if rng.random() < 0.3:
            args.append("--totals")
    if command in ("summarize", "explain", "memory") and rng.random() < 0.3:
        args += ["--input", rng.choice(INPUTS)]
    if command in ("summarize", "explain", "memory") and rng.random() < 0.2:
        args += ["--batch", str(rng.choice([1, 2, 2**64, 2**64 + 1, 10**30]))]
    if command == "verify":
        args += ["--device", "meta"]  # shapes, params and MACs without allocating: a huge spec costs nothing
    args += ["--format", rng.choice(FORMATS + (("text",) if command == "explain" else ()))]
    if command == "summarize":
        for flag in ("--expand", "--receptive-field", "--no-bias", "--strict"):
            if rng.random() < 0.25:
                args.append(flag)
        if rng.random() < 0.2:
            args += ["--depth", str(rng.choice([1, 2, 5, 1000]))]
    if command == "sweep":
        args += ["--input", rng.choice(["32:64:32", "224,227", "1:3", "1:100000:1", "18446744073709551617"])]
    if command == "explain" and rng.random() < 0.3:
        args += ["--layer", rng.choice(["conv1", "stage.0", "nope", "mix.b.conv1"])]
    if command in ("summarize", "table", "memory") and rng.random() < 0.1:
        args += ["--variant", rng.choice(["big", "torchvision", "nope"])]
    return args


# --- the worker: one process, many cases ----------------------------------------------------------------------------

def worker(conn: Connection) -> None:
    import resource
    import traceback

    from click.testing import CliRunner

    from cnncalc.cli import main

    try:  # `verify` imports torch (seconds) on its first case: pay that here, not inside a case's time limit
        import torch  # noqa: F401
    except ImportError:
        pass
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    sys.setrecursionlimit(1000)  # the interpreter's default: the CLI must work within it
    runner = CliRunner()
    while True:
        args = conn.recv()
        start = time.perf_counter()
        result = runner.invoke(main, args, catch_exceptions=True)
        elapsed = time.perf_counter() - start
        trace = ""
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            trace = "".join(traceback.format_exception(*result.exc_info))  # type: ignore[misc]
        output = result.stdout + result.stderr
        if "Traceback" in output and not trace:
            trace = output
        conn.send((result.exit_code, trace, output[-300:], elapsed))


class Pool:
    def __init__(self) -> None:
        self.start()

    def start(self) -> None:
        ctx = mp.get_context("fork")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=worker, args=(child,), daemon=True)
        self.process.start()

    def run(self, args: list[str], timeout: float) -> tuple[str, Any]:
        self.conn.send(args)
        if not self.conn.poll(timeout):
            self.process.kill()
            self.process.join()
            self.start()
            return "hang", None
        try:
            return "done", self.conn.recv()
        except (EOFError, ConnectionError):
            self.process.join()
            code = self.process.exitcode
            self.start()
            return "crash", code


def signature(trace: str) -> str:
    """The exception line and the innermost cnncalc frame: one finding per bug, not per case."""
    lines = [line.strip() for line in trace.strip().splitlines() if line.strip()]
    frames = [line for line in lines if line.startswith('File "') and "cnncalc" in line]
    return f"{lines[-1][:160] if lines else '?'} @ {frames[-1] if frames else '?'}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds before a case counts as a hang")
    parser.add_argument("--show", type=int, default=15, help="kinds of errors without a line to list")
    parser.add_argument("--out", type=Path, default=None, help="write each finding here (default: a temp dir)")
    opts = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    rng = random.Random(opts.seed)
    seed_texts = [p.read_text() for p in sorted((ROOT / "specs").glob("*.yaml"))] + SEEDS_INLINE
    seeds = [yaml.safe_load(t) for t in seed_texts]
    answer_texts = [p.read_text() for p in sorted((ROOT / "examples").glob("**/*.yaml"))]  # `cnncalc grade` files
    answers = [yaml.safe_load(t) for t in answer_texts]
    out = opts.out or Path(tempfile.mkdtemp(prefix="cnncalc-fuzz-"))
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="cnncalc-fuzz-cases-"))
    pool = Pool()
    codes: collections.Counter[int] = collections.Counter()
    commands: collections.Counter[str] = collections.Counter()
    findings: dict[str, list[str]] = collections.defaultdict(list)
    slow: list[tuple[float, str]] = []
    unlocated: dict[str, list[str]] = collections.defaultdict(list)  # spec errors that name no line
    messages: collections.Counter[str] = collections.Counter()  # every error message, numbers masked
    started = time.perf_counter()
    for n in range(opts.cases):
        spec = work / f"case{n}.yaml"
        if answers and rng.random() < 0.06:
            spec.write_bytes(make_case(rng, answers, answer_texts))
            args = ["grade", str(spec), "--format", rng.choice(["text", "markdown", "latex", "json", "csv"])]
        else:
            spec.write_bytes(make_case(rng, seeds, seed_texts))
            args = make_args(rng, str(spec))
        commands[args[0]] += 1
        status, answer = pool.run(args, opts.timeout)
        finding = None
        if status == "hang":
            finding = f"hang (no answer in {opts.timeout:g} s)"
        elif status == "crash":
            finding = f"crash (worker exit code {answer})"
        else:
            code, trace, output, elapsed = answer
            codes[code] += 1
            if trace:
                finding = f"traceback: {signature(trace)}"
            elif code not in (0, 1, 2, 3):
                finding = f"exit code {code}: {output.strip()[-160:]}"
            message = next((line for line in output.splitlines() if line.startswith("Error: ")), "")
            if ECHO.search(message.replace(args[1], "SPEC")):  # the hostile values repeat one character
                finding = f"echo: a message quotes more than 60 characters of a value: {message[:100]}"
            if message:
                messages[re.sub(r"\d+", "#", message.replace(args[1], "SPEC"))[:160]] += 1
            if code == 1 and args[0] != "check" and message and not re.match(rf"Error: {re.escape(args[1])}:\d+: ",
                                                                               message):
                unlocated[re.sub(r"\d+|'[^']*'", "#", message.replace(args[1], "SPEC"))[:100]].append(f"case{n}")
            if elapsed > SLOW_S:
                slow.append((elapsed, f"case{n}: {' '.join(a[:40] for a in args)}"))
        if finding:
            keep = out / f"case{n}.yaml"
            keep.write_bytes(spec.read_bytes())
            detail = answer[1] if status == "done" and answer[1] else ""
            (out / f"case{n}.txt").write_text(f"cnncalc {' '.join(args)}\n{finding}\n\n{detail}")
            findings[finding].append(f"case{n}")
        spec.unlink()
    wall = time.perf_counter() - started
    work.rmdir()  # every case file was removed after its run; findings live in `out`
    (out / "messages.txt").write_text("".join(f"{k:6d}  {m}\n" for m, k in messages.most_common()))
    print(f"{opts.cases:,} cases in {wall:.1f} s ({opts.cases / wall:.0f}/s), seed {opts.seed}")
    print("commands:   " + ", ".join(f"{c} {k}" for c, k in sorted(commands.items())))
    print("exit codes: " + ", ".join(f"{c}: {k}" for c, k in sorted(codes.items())))
    print(f"slow (> {SLOW_S:g} s): {len(slow)}" + "".join(f"\n  {t:.1f} s  {what}" for t, what in sorted(slow)[-5:]))
    print(f"errors naming no line: {sum(len(v) for v in unlocated.values())} in {len(unlocated)} kinds")
    for what, cases in sorted(unlocated.items(), key=lambda kv: -len(kv[1]))[:opts.show]:
        print(f"  {len(cases):4d} x {what}   e.g. {cases[0]}")
    total = sum(len(v) for v in findings.values())
    print(f"findings:   {total} in {len(findings)} kinds" + (f" (cases saved in {out})" if total else ""))
    for what, cases in sorted(findings.items(), key=lambda kv: -len(kv[1])):
        print(f"  {len(cases):4d} x {what}\n         e.g. {', '.join(cases[:3])}")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
