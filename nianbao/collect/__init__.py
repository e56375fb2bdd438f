"""采集 Collect: reports from government websites into the store, with where they came from.

    from nianbao.collect import collect, target, Policy, IngestOptions
    result = collect(store, [target("https://www.example.gov.cn/zwgk/ndbg/index.html")],
                     Policy(per_host=2, delay=1.0), since=2020, ingest=IngestOptions())

Modules, one job each: ``fetch`` (HTTP: robots.txt, per-host gate, retries, redirects, caps,
conditional requests), ``pages`` (a listing's entries and pagination, a report page's
attachments), ``titles`` (year and agency from an entry's title), ``originals`` (the
store of fetched bytes and their history), ``ingest`` (the original holding the tables →
a stored report), ``run`` (the crawl). ``nianbao collect`` is the command line.
"""
from .fetch import USER_AGENT, FetchError, Policy
from .ingest import IngestOptions
from .run import CollectError, CollectResult, Target, collect, read_list, target

__all__ = ["collect", "target", "read_list", "Target", "Policy", "IngestOptions", "CollectResult",
           "CollectError", "FetchError", "USER_AGENT"]
