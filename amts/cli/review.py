"""``amts review``: a local web page to check and post-edit translations, feeding the parallel data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from amts.cli.common import fail
from amts.cli.console import out as say
from amts.home import store_path

CWD = Path(".")


def review(
    target: str = typer.Argument(".", help="A sync report (JSON), a translated file or folder, or a job id."),
    port: int = typer.Option(8765, "--port", help="Port to listen on (0: any free port)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind; only loopback unless --allow-remote."),
    allow_remote: bool = typer.Option(False, "--allow-remote", help="Allow binding to a non-loopback address."),
    parallel_data: str | None = typer.Option(
        None, "--parallel-data", help="Parallel data that receives post-edits (default: <src>-<tgt>-post-edited)."
    ),
    store: Annotated[
        Path | None, typer.Option("--store", help="The amts store file (default: $AMTS_HOME/amts.sqlite).")
    ] = None,
    root: Annotated[Path, typer.Option("--root", help="Project root: no file outside it is read or written.")] = CWD,
    source: Annotated[
        Path | None, typer.Option("--source", help="Sources of a translated folder (matched by name).")
    ] = None,
    src: str = typer.Option("en", "--src", help="Source language of a translated folder."),
    tgt: str | None = typer.Option(None, "--tgt", help="Which translation of a folder or job to review."),
    glossary: Annotated[
        Path | None, typer.Option("--glossary", help="A term glossary (CSV, `amts glossary mine`): flags missed terms.")
    ] = None,
) -> None:
    """Serve a review queue on http://127.0.0.1:PORT; every write needs the token printed at start."""
    from amts.adapt.glossary import Glossary, GlossaryError
    from amts.review import (
        OutsideRootError,
        ProjectRoot,
        QueueError,
        RemoteBindingError,
        ReviewLockedError,
        ReviewSession,
        StoreFeedback,
        check_host,
        create_app,
        free_port,
        new_token,
        serve,
    )
    from amts.review.sources import open_target

    try:
        check_host(host, allow_remote)
        project = ProjectRoot(root)
    except RemoteBindingError as error:
        fail(str(error))
    except (FileNotFoundError, NotADirectoryError):
        fail(f"{root}: project root is not a directory")
    store_file = store_path(store)
    try:
        queue = open_target(target, project, src=src, tgt=tgt, source=source, store_path=store_file)
        name = parallel_data or f"{queue.src_lang}-{queue.tgt_lang}-post-edited"
        terms = Glossary.load(glossary) if glossary is not None else None
        port = port or free_port(host)
        feedback = StoreFeedback(store_file, name)
        session = ReviewSession(queue, feedback, glossary=terms)
        session.hold(f"http://{host}:{port}/")
        feedback.warm()
    except (QueueError, OutsideRootError, GlossaryError, ReviewLockedError, ValueError, OSError) as error:
        fail(str(error))
    token = new_token()
    allowed = ["*"] if allow_remote else None
    app = create_app(session, project, token, allowed_hosts=allowed)
    done, total = session.progress()
    shown_host = f"[{host}]" if ":" in host else host
    say.info(f"reviewing {queue.origin}: {total} segment(s), {done} done; post-edits -> {name} in {store_file}")
    if session.recovered:
        say.warning(session.recovered)
    say.info(f"token: {token}")
    say.summary(f"open:  http://{shown_host}:{port}/?token={token}", url=f"http://{shown_host}:{port}/?token={token}")
    if allow_remote and host not in ("127.0.0.1", "localhost", "::1"):
        say.warning("listening on the network: anyone with the token can edit files")
    try:
        serve(app, host, port)
    except OSError as error:
        fail(f"cannot listen on {host}:{port}: {error}")
    finally:
        session.close()


def register(app: typer.Typer) -> None:
    app.command()(review)
