"""FRAMES module pipeline: Notion -> GitHub -> PostgreSQL -> students.

The code map (docs/architecture.md has the whole of it):

    cli.py          thin commands: `python -m pipeline <command>`
    settings.py     configuration from the environment; errors.py the error hierarchy; report.py the report shape
    module/         the module file every stage reads (load, dump, hash, problems, assets, Markdown policy, diff)
    notion/         Notion: client, block and page conversion, properties, comments
    github/         GitHub: PyGithub client, git command line
    db/             the runtime database: engine, models, outbox, migrations
    export.py       Notion pages -> data/modules/<id>.json
    validate/       module files -> problems
    propose/        module files -> one branch and PR per module
    sync.py         export + validate + propose (the export workflow)
    preview/        module files -> static HTML for reviewers
    deploy/         module files -> the runtime tables, in one transaction
    writeback.py    the deploy outbox -> Notion (Status = Live, PR link)
    status.py rollback.py backup.py webhook.py   the operations around them
"""

__version__ = "0.1.0"
