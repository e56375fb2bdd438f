"""编制: an agency writes its annual report in nianbao, right by construction.

One module per job, plain dicts between them (a *draft*: see :mod:`.draft`)::

    draft       the draft: a canonical record whose totals are computed, never typed; new_draft()
                pre-fills it from last year's record (上年结转, 现行有效件数, period, fee sentence)
    checks      check_draft(): the validator's findings (nianbao.validate) + cross-year + completeness;
                copy_rates(): 重复率 of each section against last year's, by the validator's measure
    text        the form's fixed words: title, opening paragraph, fee sentence, date
    layout      the tables as the template prints them (grids from nianbao.generate.tables)
    render_docx Word in the official layout; render_html one HTML page; render_pdf Word → PDF (LibreOffice)
    workbook    the Excel workbook to fill in, and reading it back (every bad cell named)
    canonical   JSON in the canonical shape, in and out
    wordfile    Word working copies: a draft to write in Word, any report's Word file read back
    publish     the export gate (errors need a written reason, which is kept) and storing the report
    drafts      drafts in the store's database: versions (who, when), exports, who may write whose report

The command line is ``nianbao author …`` (``nianbao.cli.author``); the web page ``/author``
(``nianbao.web.routes.author``).
"""
