"""flask --app wsgi search-rebuild: fill the search index again from every searchable row."""
import click
from flask.cli import with_appcontext


@click.command("search-rebuild")
@with_appcontext
def search_rebuild_command():
    """Rebuild the search index (after a restore, or to index rows written before it existed)."""
    from search import indexing

    written = indexing.rebuild()
    click.echo(f"Search index rebuilt: {written} entries.")
