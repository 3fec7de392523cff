"""The command line: parse options, call the library once, render, and set the exit code.

Exit codes (a contract): 0 success; 1 invalid input; 2 usage error; 3 a negative answer (does not fit, a wrong
homework answer, a failed verification); 70 an internal error; 130 interrupted; 141 a broken pipe
(cnncalc/exits.py ends every command).
"""

from __future__ import annotations

import re
import sys
from typing import Any

import click

from cnncalc.cli_output import PROSE_FORMATS, depth_options, emit, format_option, override_input, plot_target
from cnncalc.dtypes import DTYPES
from cnncalc.errors import SpecError, shown
from cnncalc.exits import BROKEN_PIPE, INTERRUPTED, Cli, quiet_stdout
from cnncalc.layout import layout_options

_SIZE = re.compile(r"\s*(\d{1,4000})\s*(?:[x×]\s*(\d{1,4000})\s*)?(?:[x×]\s*(\d{1,4000})\s*)?", re.IGNORECASE)


def run() -> None:
    """The `cnncalc` command: main(), with Ctrl-C and a closed pipe ending as Unix tools end (130, 141)."""
    try:
        main()
    except KeyboardInterrupt:  # before click's own handling has started
        sys.exit(INTERRUPTED)
    except SystemExit:
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            quiet_stdout()
            sys.exit(BROKEN_PIPE)
        raise


@click.group(cls=Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cnncalc")
def main() -> None:
    """Exact CNN arithmetic from a YAML spec: output volumes, parameters, memory, MACs/FLOPs.

    \b
    Examples:
      cnncalc summarize specs/vgg16.yaml
      cnncalc summarize specs/alexnet.yaml --input 224x224x3
      cnncalc check --stride 3 --input 7
      cnncalc summarize vgg16          # a shipped spec by name (cnncalc specs lists them)

    SPEC is a spec file or a shipped spec's name (resnet50, resnet50_torchvision); a file of that name in the
    current folder wins.
    """


# --- commands ----------------------------------------------------------------------------------------------------

@main.command()
@click.argument("spec", type=click.Path(dir_okay=True, path_type=str))
@click.option("--input", "input_size", metavar="HxWxC|HxW|N",
              help="Override the spec's input size (HxW or N keep its channels).")
@click.option("--dtype", type=click.Choice(DTYPES), default="fp32", show_default=True,
              help="Bytes per value for memory.")
@click.option("--batch", type=click.IntRange(min=1), default=1, show_default=True, help="Samples per batch.")
@click.option("--no-bias", is_flag=True, help='Count params as the slides do, "not counting biases".')
@format_option(("table", "json", "csv", "markdown", "latex"))
@layout_options
@click.option("--strict", is_flag=True, help="A layer that does not tile its input is an error (exit 3).")
@click.option("--variant", default=None, help="One of the spec's named variants (e.g. torchvision).")
@depth_options
@click.option("--plot", "plot_file", default=None, metavar="FILE.png",
              help="Also draw the per-layer memory and params profile (needs matplotlib).")
@click.option("--why", type=click.IntRange(min=1), default=None, metavar="N",
              help="With a symbolic input (--input HxWx3): say whether size N tiles every layer, and if not why.")
@click.option("--receptive-field", "receptive_field", is_flag=True,
              help="Add each layer's receptive field: size, jump, effective padding, centre (Araujo et al. 2019).")
@click.option("--warnings", "-v", "all_warnings", is_flag=True,
              help="Every warning in full (by default one line counts and names the layers; JSON always has all).")
def summarize(spec: str, input_size: str | None, dtype: str, batch: int, no_bias: bool, fmt: str,
              strict: bool, variant: str | None, depth: int, expand: bool, plot_file: str | None,
              receptive_field: bool, why: int | None, all_warnings: bool) -> None:
    """Per-layer output volume, memory, params and MACs of SPEC, with totals."""
    from cnncalc.analysis import analyze
    from cnncalc.spec import load_spec

    model = load_spec(spec, variant=variant)
    override = override_input(model, input_size)
    shape = override or model.input
    if not all(isinstance(d, int) for d in shape):
        from cnncalc.symbolic import analyze_symbolic
        from cnncalc.views import symbolic as view

        near = model.input[1] if isinstance(model.input[-1], int) and len(model.input) == 3 else None
        symbolic = analyze_symbolic(model, shape)
        emit(fmt, lambda: view.document(symbolic, near, why), lambda: view.json_text(symbolic, near))
        return
    plot = plot_target(plot_file)
    report = analyze(model, input_shape=override, dtype=dtype, batch=batch, count_biases=not no_bias,
                     strict=strict)
    rows_depth = None if expand else depth
    if plot:
        from cnncalc import grouping
        from cnncalc.charts import profile

        profile(report, grouping.rows(report, rows_depth), plot[0])
        click.echo(f"{plot[1]} {plot[0]}", err=True)
    from cnncalc.views import summarize as view

    emit(fmt, lambda: view.document(report, rows_depth, receptive_field, all_warnings),
          lambda: view.json_text(report, receptive_field))
    _exit_on_failed_expectations(report)


def _exit_on_failed_expectations(report: Any) -> None:
    """`expect:` in the spec (an answer key kept as a spec): a mismatch is a negative answer, exit 3."""
    from cnncalc.grade.judge import expectations, has_expectations

    if has_expectations(report) and not all(v.right for v in expectations(report)):
        sys.exit(3)


@main.command()
@click.argument("spec", type=click.Path(dir_okay=True, path_type=str))
@click.option("--variant", default=None, help="One of the spec's named variants.")
@click.option("--no-bias", is_flag=True, help='Count params "not counting biases".')
@format_option()
@layout_options
def table(spec: str, variant: str | None, no_bias: bool, fmt: str) -> None:
    """SPEC in the layout of the GoogLeNet paper's Table 1: type, patch size/stride, output size, depth, the
    inception columns, params and ops — computed, with the paper's own figures (`paper:` in the spec) beside them
    and ✗ where they differ by more than rounding."""
    from cnncalc.analysis import analyze
    from cnncalc.paper_table import checks, paper_table
    from cnncalc.spec import load_spec
    from cnncalc.views import paper_table as view

    report = analyze(load_spec(spec, variant=variant), count_biases=not no_bias)
    total = checks(report.paper, report.totals.params, report.totals.macs, report.variant)
    rows = paper_table(report)
    emit(fmt, lambda: view.document(rows, report.model, total), lambda: view.json_text(rows, report.model, total))


@main.command()
@click.argument("specs", nargs=-1, required=True, type=click.Path(dir_okay=True, path_type=str))
@click.option("--variant", default=None, help="Use this named variant for every spec that has it.")
@click.option("--totals", "totals_only", is_flag=True, help="Only the params and MACs rows (VGG's Table 2).")
@click.option("--input", "input_size", metavar="HxWxC|HxW|N",
              help="Compare at this input size (HxW or N keep each spec's channels).")
@click.option("--batch", type=click.IntRange(min=1), default=None, help="Also show activation memory for this batch.")
@click.option("--dtype", type=click.Choice(DTYPES), default=None, help="Also show activation memory in this dtype.")
@format_option()
@layout_options
def compare(specs: tuple[str, ...], variant: str | None, totals_only: bool, input_size: str | None,
            batch: int | None, dtype: str | None, fmt: str) -> None:
    """Several specs side by side, like the ResNet and DenseNet tables: one row per stage with its block
    configuration per spec, then params and MACs (the papers' FLOPs); with --batch or --dtype, activation memory."""
    from cnncalc.analysis import analyze
    from cnncalc.comparison import compare as side_by_side
    from cnncalc.spec import load_spec
    from cnncalc.views import compare as view

    reports = []
    for path in specs:
        model = load_spec(path)
        if variant and variant in model.variants:
            model = load_spec(path, variant=variant)
        reports.append(analyze(model, input_shape=override_input(model, input_size), batch=batch or 1,
                               dtype=dtype or "fp32"))
    comparison = side_by_side(reports)
    memory = batch is not None or dtype is not None
    emit(fmt, lambda: view.document(comparison, totals_only, memory), lambda: view.json_text(comparison, totals_only))


@main.command()
@click.argument("answers", type=click.Path(dir_okay=True, path_type=str))
@click.option("--key", "key", is_flag=True,
              help="Print the answer key of ANSWERS' questions (a worksheet: answers left empty): every asked "
                   "quantity's value and worked solution; exits 0.")
@format_option(PROSE_FORMATS, default="text")
@layout_options
def grade(answers: str, key: bool, fmt: str) -> None:
    """Check a student's answers to the slides' questions (output volume, parameters, memory, fits...) in
    ANSWERS, a YAML file of questions and answers: ✓/✗ per answer with the expected value, the worked solution
    for every wrong one, and a score. Exits 3 when any answer is wrong or left unanswered (docs/homework.md).
    With --key, the answer key instead."""
    from cnncalc.grade.files import grade_file
    from cnncalc.views import grade as view

    result = grade_file(answers, key=key)
    emit(fmt, lambda: view.document(result), lambda: view.json_text(result), lambda: view.text(result))
    if not result.ok:
        sys.exit(3)


@main.command()
@click.argument("spec", type=click.Path(dir_okay=True, path_type=str))
@click.option("--layer", "layer_name", default=None, metavar="NAME",
              help="Only this layer (its dotted path) or block; default: every layer, and the totals.")
@click.option("--input", "input_size", metavar="HxWxC|HxW|N", help="Override the spec's input size.")
@click.option("--dtype", type=click.Choice(DTYPES), default="fp32", show_default=True,
              help="Bytes per value for memory.")
@click.option("--batch", type=click.IntRange(min=1), default=1, show_default=True, help="Samples per batch.")
@click.option("--no-bias", is_flag=True, help='Count params as the slides do, "not counting biases".')
@click.option("--variant", default=None, help="One of the spec's named variants.")
@format_option(PROSE_FORMATS, default="text")
@layout_options
def explain(spec: str, layer_name: str | None, input_size: str | None, dtype: str, batch: int, no_bias: bool,
            variant: str | None, fmt: str) -> None:
    """The worked solution of every layer of SPEC (or one, --layer): each formula written out with its
    numbers, as the slides do ("(227 − 11 + 2·0)/4 + 1 = 55", "(11*11*3)*96 + 96 = 34,944"), ready for an
    answer key."""
    from cnncalc.analysis import analyze
    from cnncalc.explain import explain as worked
    from cnncalc.spec import load_spec
    from cnncalc.views import explain as view

    model = load_spec(spec, variant=variant)
    report = analyze(model, input_shape=override_input(model, input_size), dtype=dtype, batch=batch,
                     count_biases=not no_bias)
    solutions = worked(model, report, layer_name)
    emit(fmt, lambda: view.document(solutions), lambda: view.json_text(solutions), lambda: view.text(solutions))


@main.command()
@click.argument("spec", type=click.Path(dir_okay=True, path_type=str))
@click.option("--input", "input_size", metavar="HxWxC|HxW|N", help="Override the spec's input size.")
@click.option("--batch", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--dtype", type=click.Choice(DTYPES), default=None,
              help="Every tensor's dtype [default: fp32]; with --amp, the 16-bit one autocast runs in [fp16].")
@click.option("--amp", type=click.Choice(("cuda", "cpu")), is_flag=False, flag_value="cuda", default=None,
              help="Automatic mixed precision: torch.autocast(DEVICE, --dtype) over fp32 master weights, gradients "
                   "and optimizer state (--amp alone: cuda).")
@click.option("--optimizer", type=click.Choice(("sgd", "momentum", "adam")), default="sgd", show_default=True)
@click.option("--variant", default=None, help="One of the spec's named variants.")
@format_option(("table", "json", "markdown", "latex", "csv"))
@layout_options
@depth_options
def memory(spec: str, input_size: str | None, batch: int, dtype: str | None, amp: str | None, optimizer: str,
           variant: str | None, fmt: str, depth: int, expand: bool) -> None:
    """Training and inference memory of SPEC: parameters, gradients, optimizer state, the activations autograd
    keeps for backward (layer by layer), and the peak of an inference pass.

    \b
    Mixed precision, as torch.cuda.amp trains:
      cnncalc memory resnet50 --batch 32 --optimizer adam --amp"""
    from cnncalc import grouping
    from cnncalc.analysis import analyze
    from cnncalc.memory import memory as estimate
    from cnncalc.spec import load_spec
    from cnncalc.views import memory as view

    model = load_spec(spec, variant=variant)
    dtype = dtype or ("fp16" if amp else "fp32")
    report = analyze(model, input_shape=override_input(model, input_size), dtype=dtype, batch=batch)
    result = estimate(report, optimizer, amp)
    groups = None if expand else grouping.rows(report, depth)
    emit(fmt, lambda: view.document(result, groups), lambda: view.json_text(result))


@main.command()
@click.argument("spec", type=click.Path(dir_okay=True, path_type=str))
@click.option("--input", "sizes", default="32:512:32", show_default=True, metavar="START:STOP:STEP",
              help="Square input sizes to try (STOP included), or a list: 224,227.")
@click.option("--batch", "batches", default="1", show_default=True, metavar="START:STOP:STEP",
              help="Batch sizes to try, same syntax.")
@click.option("--dtype", type=click.Choice(DTYPES), default="fp32", show_default=True)
@click.option("--optimizer", type=click.Choice(("sgd", "momentum", "adam")), default="sgd", show_default=True)
@click.option("--variant", default=None, help="One of the spec's named variants.")
@format_option(("table", "json", "markdown", "latex", "csv"))
@layout_options
@click.option("--plot", "plot_file", default=None, metavar="FILE.png", help="Also draw the sweep (needs matplotlib).")
def sweep(spec: str, sizes: str, batches: str, dtype: str, optimizer: str, variant: str | None, fmt: str,
          plot_file: str | None) -> None:
    """Params, MACs, activation and training memory of SPEC for a range of input sizes: which sizes tile
    every layer exactly (AlexNet: 227, not 224) and where the network stops being valid."""
    from cnncalc.spec import load_spec
    from cnncalc.sweep import parse_range
    from cnncalc.sweep import sweep as run_sweep
    from cnncalc.views import sweep as view

    model = load_spec(spec, variant=variant)
    plot = plot_target(plot_file)
    points = run_sweep(model, parse_range(sizes, "--input"), parse_range(batches, "--batch"), dtype=dtype,
                       optimizer=optimizer)
    if plot:
        from cnncalc.charts import sweep_chart

        sweep_chart(model.name, points, plot[0], dtype=dtype, optimizer=optimizer)
    emit(fmt, lambda: view.document(model.name, points), lambda: view.json_text(model.name, points))
    if plot:
        click.echo(f"{plot[1]} {plot[0]}", err=True)


@main.command()
@click.option("--input", "input_size", required=True, metavar="N|HxW|HxWxC", help="Input size (e.g. 7, 32x32x3).")
@click.option("--filter", "kernel", type=int, default=3, show_default=True,
              help="Filter size F (the slides assume 3).")
@click.option("--stride", type=int, default=1, show_default=True)
@click.option("--pad", type=int, default=0, show_default=True, help="Zero padding P on each side.")
@click.option("--dilation", type=int, default=1, show_default=True)
@click.option("--filters", type=int, default=None, help="Number of filters K: output depth and params.")
@click.option("--pool", type=int, default=None, is_flag=False, flag_value=0, metavar="[F]",
              help="A pooling window (of size F, or of --filter's size) instead of a filter.")
@click.option("--ceil", is_flag=True, help="Ceil mode (PyTorch's ceil_mode): answer with the rounded-up size.")
@click.option("--transposed", is_flag=True, help="A transposed convolution (PyTorch ConvTranspose2d).")
@click.option("--output-padding", "output_padding", type=int, default=0, show_default=True,
              help="Output padding OP of a transposed convolution.")
@click.option("--groups", type=int, default=1, show_default=True, help="Grouped convolution: C/G channels per filter.")
@click.option("--depthwise", is_flag=True, help="Depthwise: one filter per input channel (groups = C).")
@click.option("--local", is_flag=True, help="Locally connected (unshared weights: a filter per output position).")
@click.option("--no-bias", is_flag=True, help="Filters without biases.")
@format_option(PROSE_FORMATS, default="text")
@layout_options
def check(input_size: str, kernel: int, stride: int, pad: int, dilation: int, filters: int | None,
          pool: int | None, ceil: bool, transposed: bool, output_padding: int, groups: int, depthwise: bool,
          local: bool, no_bias: bool, fmt: str) -> None:
    """Does a filter (or pooling window) fit an input? The worked formula, what PyTorch and Caffe do, and
    nearby settings that fit; params and MACs with their formulas. Exits 3 when it does not fit (with --ceil:
    when ceil mode gives no size).

    \b
    One layer at a time; a whole network is a spec for `summarize` (the table) or `explain` (worked solutions):
      cnncalc check --input 227x227x3 --filter 11 --stride 4 --filters 96
      cnncalc explain specs/alexnet.yaml --layer conv1"""
    from cnncalc import check as calc
    from cnncalc.spec.inputs import has_symbol

    if has_symbol(input_size, "--input"):  # a name: answer with formulas and congruences
        from cnncalc.symbolic import check_symbolic, parse_check_input
        from cnncalc.views import symbolic as symbolic_view

        h, w, _channels = parse_check_input(input_size)
        found = check_symbolic(h, w, kernel=pool or kernel, stride=stride, pad=pad, dilation=dilation, ceil=ceil)
        title = f"Input {input_size}, {'pool' if pool else 'filter'} {pool or kernel}, stride {stride}, pad {pad}"
        emit(fmt, lambda: symbolic_view.check_document(found, title), lambda: symbolic_view.check_json(found),
              lambda: symbolic_view.check_text(found))
        if found.never:  # a numeric axis that does not fit, whatever the symbol is: a negative answer
            sys.exit(3)
        return
    from cnncalc.views import check as view

    m = _SIZE.fullmatch(input_size)
    if not m:
        raise SpecError(f"cannot read {shown(input_size)}: write N, HxW or HxWxC (e.g. 7, 32x32x3)", field="--input")
    height = int(m[1])
    width = int(m[2]) if m[2] else height
    channels = int(m[3]) if m[3] else None
    kinds = [k for k, on in (("pool", pool is not None), ("transposed", transposed), ("local", local)) if on]
    if len(kinds) > 1:
        raise click.UsageError(f"--{kinds[0]} and --{kinds[1]} ask about different layers; give one")
    result = calc.check(height, width, channels=channels, kernel=pool or kernel, stride=stride, pad=pad,
                        dilation=dilation, filters=filters, pool=pool is not None, ceil=ceil, bias=not no_bias,
                        layer=kinds[0] if kinds else "conv", groups="depthwise" if depthwise else groups,
                        output_padding=output_padding)
    emit(fmt, lambda: view.document(result), lambda: view.json_text(result), lambda: view.text(result))
    if not result.answered:
        sys.exit(3)


# commands written in modules of their own, to keep this one short; they are commands of `main` all the same
from cnncalc.cli_import import import_model
from cnncalc.cli_verify import verify
from cnncalc.cli_web import report, serve
from cnncalc.cli_zoo import specs as specs_command

for _command in (report, serve, verify, specs_command, import_model):
    main.add_command(_command)
