"""`cnncalc grade`: homework answers checked against the exact arithmetic, in three steps, one module each.

- cnncalc.grade.read: answers as people write them (55x55x96, [96, 55, 55], 34,944, 35K, 93MB, doesn't fit),
  and the `expect:` answers a spec may carry (parse_expect, used by the spec parser);
- cnncalc.grade.judge: one answer judged against a layer's, block's or the totals' exact facts (judge, Verdict,
  Grade), and a spec's `expect:` checked by `summarize` (expectations);
- cnncalc.grade.files: answers files, questions and answers together (grade_file).

A question is one layer on an input (the slides' "Input volume: 32x32x3, 10 5x5 filters with stride 1, pad 2.
Output volume size?") or a whole spec with answers per layer and in total (the VGG16 table).

This __init__ imports nothing: the spec parser imports cnncalc.grade.read, and a package's __init__ runs first.
"""
