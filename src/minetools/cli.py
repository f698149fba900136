"""Command line: thin commands over :mod:`minetools.pipeline` and :mod:`minetools.report`."""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

from minetools import __version__
from minetools.config import MinetoolsError

__all__ = ["main", "build_parser"]

EXAMPLES = {
    "main": """\
        examples:
          minetools demo                                  # run on the bundled sample into out/demo
          minetools run complaints.csv --out runs/2024-07
          minetools run export.xlsx --out runs/jul --text-col 投诉内容 --score-col 满意度
          minetools apply aug.csv --model runs/2024-07/model --out runs/2024-08   # same themes next month
          minetools audit runs/2024-07 --n 200            # stratified sample for human coding
          minetools evaluate coded.csv --labels-col 人工主题 --out eval/       # accuracy vs human coding
          minetools drivers runs/2024-07 --satisfied-threshold 4    # redo the driver tables (top-two box)
          minetools report runs/2024-07                   # re-render report.html/pdf""",
    "drivers": """\
        example:
          minetools drivers runs/2024-07 --satisfied-threshold 4 --n-boot 2000 --period-months 6

        recomputes drivers.csv (one row per theme: n, prevalence, mean with/without, impact,
        adjusted effect with 95% CI, share of R² with bootstrap CI, significance),
        drivers_segments.csv (per branch/channel/customer type, small cells masked) and
        drivers_change.csv (change in mean satisfaction split into per-theme parts) from
        complaints.parquet, without reassigning themes; then run 'minetools report RUN_DIR'.""",
    "apply": """\
        example:
          minetools apply 2024-08.csv --model runs/2024-07/model --out runs/2024-08

        assigns themes with the saved model unchanged (same text, same themes) and writes the
        same run directory as 'minetools run'; the model hash is in manifest.json.""",
    "audit": """\
        example:
          minetools audit runs/2024-07 --n 200      # writes runs/2024-07/audit.csv

        coders fill the empty 'labels' column with theme keys joined by | (empty = none), then:
          minetools evaluate runs/2024-07/audit.csv --labels-col labels --model runs/2024-07/model""",
    "evaluate": """\
        example:
          minetools evaluate coded.csv --labels-col 人工主题 --out eval/2024-07

        labels are theme keys joined by | (e.g. queuing|fees; empty or 'other' = none). Writes
        evaluation.csv (per-theme precision, recall, F1, support, kappa) and evaluation.json.""",
    "run": """\
        example:
          minetools run 投诉导出.csv --out runs/2024-07 --text-col 投诉内容 --score-col 满意度 --date-col 受理时间

        writes OUT/complaints.parquet, complaints.csv, themes.csv, drivers.csv, figures/,
        report.html, report.pdf, model/ and manifest.json (see README).""",
    "demo": """\
        example:
          minetools demo --out out/demo && open out/demo/report.html""",
    "report": """\
        example:
          minetools report runs/2024-07 --lang en   # rebuilds runs/2024-07/report.html and report.pdf""",
}


def _formatter(name):
    return {"epilog": textwrap.dedent(EXAMPLES[name]), "formatter_class": argparse.RawDescriptionHelpFormatter}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="minetools",
        description="Mine Chinese customer-complaint narratives: themes, satisfaction drivers, report.",
        **_formatter("main"),
    )
    parser.add_argument("--version", action="version", version=f"minetools {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the full traceback on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="analyse a complaint file and write a run directory", **_formatter("run"))
    run.add_argument("input", help="CSV, TSV, Excel, Parquet or JSONL file of complaints")
    run.add_argument("--out", required=True, help="output run directory (created if missing)")
    run.add_argument("--labels-col", help="column of human theme labels (keys joined by |): the theme model is "
                                          "fitted on them instead of on the rules' weak labels")
    _add_run_options(run)

    apply = sub.add_parser("apply", help="assign themes with a saved model and write a run directory",
                           **_formatter("apply"))
    apply.add_argument("input", help="CSV, TSV, Excel, Parquet or JSONL file of complaints")
    apply.add_argument("--model", required=True, help="the model/ folder of an earlier run (or that run directory)")
    apply.add_argument("--out", required=True, help="output run directory (created if missing)")
    _add_run_options(apply)

    evaluate = sub.add_parser("evaluate", help="compare assigned themes with human labels", **_formatter("evaluate"))
    evaluate.add_argument("input", help="file with complaint texts and a column of human theme labels")
    evaluate.add_argument("--labels-col", required=True, help="column holding the human labels (keys joined by |)")
    evaluate.add_argument("--model", help="a saved model/ folder (default: fit on the input, as 'run' does)")
    evaluate.add_argument("--out", help="folder for evaluation.csv and evaluation.json")
    _add_run_options(evaluate)

    audit = sub.add_parser("audit", help="write a stratified sample of a run for human coding", **_formatter("audit"))
    audit.add_argument("run_dir", help="a directory written by 'minetools run'")
    audit.add_argument("--n", type=int, default=200, help="number of complaints to sample (default 200)")
    audit.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    audit.add_argument("--out", help="file to write (default: RUN_DIR/audit.csv)")

    demo = sub.add_parser("demo", help="run on the bundled sample corpus", **_formatter("demo"))
    demo.add_argument("--out", default="out/demo", help="output run directory (default: out/demo)")
    demo.add_argument("--quiet", action="store_true", help="no progress lines")

    drv = sub.add_parser("drivers", help="recompute the driver tables of a run directory", **_formatter("drivers"))
    drv.add_argument("run_dir", help="a directory written by 'minetools run'")
    drv.add_argument("--config", help="TOML settings file (overrides the run's settings)")
    drv.add_argument("--satisfied-threshold", "--threshold", type=float, dest="satisfied_threshold",
                     metavar="SCORE", help="scores >= SCORE count as satisfied: logistic drivers (odds ratios, effects "
                                           "in points); the setting satisfied_threshold (--threshold: older spelling)")
    drv.add_argument("--n-boot", type=int, help="bootstrap replicates for the importance intervals (default 1000)")
    drv.add_argument("--min-n", type=int, help="themes seen fewer times are reported but not ranked (default 30)")
    drv.add_argument("--period-months", type=int, help="months in each period of drivers_change.csv (default 3)")
    drv.add_argument("--seed", type=int, help="random seed of the bootstrap")
    drv.add_argument("--tables-only", action="store_true",
                     help="rewrite the tables only; leave figures/ and the report as they were")

    rep = sub.add_parser("report", help="re-render report.html and report.pdf from a run directory",
                         **_formatter("report"))
    rep.add_argument("run_dir", help="a directory written by 'minetools run'")
    rep.add_argument("--lang", choices=["zh", "en"], default="zh",
                     help="language of the report and its charts (default zh; English charts go to figures/en/)")
    rep.add_argument("--redraw", action="store_true",
                     help="redraw the charts from the run's tables even if they exist (e.g. after editing a table)")
    return parser


def _add_run_options(p):
    p.add_argument("--config", help="TOML settings file (column names, dictionaries, seed …)")
    p.add_argument("--text-col", help="column holding the complaint text (default: detected from the header)")
    p.add_argument("--score-col", help="column holding satisfaction (default: detected)")
    p.add_argument("--date-col", help="column holding the date (default: detected)")
    p.add_argument("--score-scale", choices=["1-5", "1-10", "0-10", "0-100", "binary"],
                   help="scale of the satisfaction column (default: detected from its values)")
    p.add_argument("--sheet", help="Excel sheet name (default: the first sheet with a complaint-text column)")
    p.add_argument("--encoding", help="text-file encoding (default: detected; GB18030 preferred for Chinese)")
    p.add_argument("--seed", type=int, help="random seed (default 0)")
    p.add_argument("--lang", choices=["zh", "en"], help="report language (default zh)")
    p.add_argument("--keep-raw-text", action="store_true", default=None,
                   help="keep the unmasked text column in the outputs (personal data is masked otherwise)")
    p.add_argument("--keep-columns", metavar="C", action="append",
                   help="write column C as it was read, unmasked (repeat for several; personal-data columns are "
                        "otherwise replaced by keyed pseudonyms and every other column is masked)")
    p.add_argument("--pseudonym-key", metavar="FILE",
                   help="the secret key file for pseudonyms (default: ~/.config/minetools/pseudonym.key, created "
                        "on first use); keep it outside every run directory and the same for a project")
    p.add_argument("--tables-only", action="store_true", default=None,
                   help="write the tables only, no figures/ or report (faster; draw them later with "
                        "'minetools report OUT')")
    p.add_argument("--quiet", action="store_true", help="no progress lines")


def _settings(args):
    from minetools.config import load_settings

    return load_settings(args.config, text_col=args.text_col, score_col=args.score_col, date_col=args.date_col,
                         sheet=args.sheet, encoding=args.encoding, score_scale=args.score_scale,
                         seed=args.seed, keep_raw_text=args.keep_raw_text, report_lang=getattr(args, "lang", None),
                         keep_columns=args.keep_columns, pseudonym_key=args.pseudonym_key,
                         render=False if args.tables_only else None,
                         labels_col=getattr(args, "labels_col", None) if args.command == "run" else None)


def _run(args) -> int:
    from minetools.pipeline import run

    result = run(args.input, args.out, settings=_settings(args), model=getattr(args, "model", None),
                 progress=not args.quiet)
    _summary(result)
    return 0


def _evaluate(args) -> int:
    from minetools.pipeline import evaluate

    table, summary = evaluate(args.input, args.out, labels_col=args.labels_col, settings=_settings(args),
                              model=args.model, progress=not args.quiet)
    print(table.round(3).to_string(index=False))
    print(f"macro-F1 {summary['macro_f1']:.3f} · micro-F1 {summary['micro_f1']:.3f} · "
          f"mean kappa {summary['mean_kappa']:.3f} · n {summary['n']:,}")
    print("close-pair confusions: " + ", ".join(f"{k} {v}" for k, v in summary["close_pair_confusions"].items()))
    if args.out:
        print(f"Wrote {args.out}/evaluation.csv and evaluation.json")
    return 0


def _summary(result) -> None:
    rows = result.manifest["rows"]
    print(f"Wrote {result.out_dir}/ — {rows['input']:,} rows: "
          + ", ".join(f"{k} {rows[k]:,}" for k in ("ok", "truncated", "duplicate", "empty", "invalid") if rows[k]))
    if (result.out_dir / "report.html").exists() and result.manifest["settings"].get("render", True):
        print(f"Open {result.out_dir / 'report.html'}")
    else:
        print(f"Tables only: draw the charts and the report with 'minetools report {result.out_dir}'")
    for w in result.manifest.get("warnings", []):
        print(f"warning: {w}", file=sys.stderr)


def _demo(args) -> int:
    from minetools.datasets import SAMPLE_PATH, write_sample
    from minetools.pipeline import run

    sample = Path(SAMPLE_PATH)
    if not sample.exists():  # installed without the repository's data folder: regenerate it
        sample = Path(args.out) / "sample_complaints.csv"
        sample.parent.mkdir(parents=True, exist_ok=True)
        write_sample(sample)
    result = run(sample, args.out, progress=not args.quiet)
    _summary(result)
    return 0


def _audit(args) -> int:
    from minetools.pipeline import write_audit

    print(f"Wrote {write_audit(args.run_dir, n=args.n, seed=args.seed, out=args.out)}")
    return 0


def _drivers(args) -> int:
    from minetools.config import load_settings
    from minetools.pipeline import write_drivers

    settings = load_settings(args.config) if args.config else None
    if not args.tables_only:
        print("Recomputing the drivers, then redrawing the charts and the report …", file=sys.stderr)
    result = write_drivers(args.run_dir, settings=settings, satisfied_threshold=args.satisfied_threshold, n_boot=args.n_boot,
                           min_n=args.min_n, period_months=args.period_months, seed=args.seed,
                           render=not args.tables_only)
    meta = result.manifest["drivers"]
    names = ["drivers.csv", "drivers_segments.csv", "drivers_change.csv"]
    names += [] if args.tables_only else ["figures", "report.html", "report.pdf"]
    for name in names:
        if (result.out_dir / name).exists():
            print(f"Wrote {result.out_dir / name}")
    if meta.get("n"):
        print(f"{meta['outcome']} outcome · N {meta['n']:,} · R² {meta['r2']:.3f} · importance by {meta['method']}")
    for w in result.manifest["warnings"]:
        print(f"warning: {w}", file=sys.stderr)
    return 0


def _report(args) -> int:
    from minetools.figures import figures_dir, owned_charts
    from minetools.report import write_report

    run_dir = Path(args.run_dir)
    if not (run_dir / "manifest.json").exists():
        raise MinetoolsError(f"{run_dir} is not a run directory (no manifest.json). Give a folder written by 'minetools run'.")
    if args.redraw or not owned_charts(run_dir, args.lang):
        print(f"Drawing the charts into {figures_dir(run_dir, args.lang)} …", file=sys.stderr)
    for path in write_report(run_dir, lang=args.lang, redraw=args.redraw or None):
        print(f"Wrote {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    handlers = {"run": _run, "apply": _run, "evaluate": _evaluate, "audit": _audit, "demo": _demo, "report": _report,
                "drivers": _drivers}
    try:
        return handlers[args.command](args)
    except MinetoolsError as exc:
        if args.debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: nothing was changed in the output folder (the last good run is as it was)",
              file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, not bad input: one line, and the way to see more
        if args.debug:
            raise
        print(f"error: minetools failed unexpectedly ({type(exc).__name__}: {str(exc)[:300]}). Run the same "
              "command with --debug for the full traceback, and please report it.", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
