"""Notion side of the pipeline: pure conversion of pages and block trees into module documents.

`rich_text` and `blocks` turn Notion's JSON into Markdown, `page_mapping` turns a Module Library page into a
module document, `properties` checks that the Module Library has the properties the mapping reads.
"""
