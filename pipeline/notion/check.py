"""`notion check`: does the Module Library data source still have the properties the exporter reads?"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.notion.client import NotionGateway
from pipeline.notion.issues import ConversionIssue
from pipeline.notion.properties import check_data_source_schema
from pipeline.notion.rich_text import rich_text_to_plain
from pipeline.settings import Settings


@dataclass(frozen=True)
class SchemaReport:
    data_source_id: str
    title: str
    issues: tuple[ConversionIssue, ...]

    @property
    def ok(self) -> bool:
        return not self.issues

    def lines(self) -> list[str]:
        """One line per issue, naming the data source (ConversionIssue's own str() would call it a page), then the
        summary."""
        return [f"data source {self.data_source_id}: {issue.message}" for issue in self.issues] + [self.summary()]

    def summary(self) -> str:
        if self.ok:
            return (
                f"notion check: data source {self.title!r} ({self.data_source_id}) has every property the export reads"
            )
        return f"notion check: {len(self.issues)} problem(s) in data source {self.title!r} ({self.data_source_id})"


def check_module_library(settings: Settings) -> SchemaReport:
    """Read the data source's schema and name every missing or mistyped property."""
    with NotionGateway(settings) as gateway:
        data_source = gateway.retrieve_data_source()
    title = rich_text_to_plain(data_source.get("title"))
    return SchemaReport(data_source["id"], title, tuple(check_data_source_schema(data_source)))
