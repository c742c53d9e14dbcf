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
    from amts.adapt.glossary import Glossary
    from amts.review import (
        ProjectRoot,
        ReviewSession,
        StoreFeedback,
        check_host,
        create_app,
        free_port,
        serve,
        stable_token,
    )
    from amts.review.sources import open_target

    try:
        check_host(host, allow_remote)
        project = ProjectRoot(root)
    except (FileNotFoundError, NotADirectoryError):
        fail(f"{root}: project root is not a directory")
    store_file = store_path(store)
    queue = open_target(target, project, src=src, tgt=tgt, source=source,
                        job=lambda job_id: job_queue(job_id, project, src, tgt, store_file))
    name = parallel_data or f"{queue.src_lang}-{queue.tgt_lang}-post-edited"
    terms = Glossary.load(glossary) if glossary is not None else None
    port = port or free_port(host)
    feedback = StoreFeedback(store_file, name)
    session = ReviewSession(queue, feedback, glossary=terms)
    session.hold(f"http://{host}:{port}/")
    token = stable_token(queue.origin)
    feedback.warm()
    allowed = ["*"] if allow_remote else None
    app = create_app(session, project, token, allowed_hosts=allowed)
    done, total = session.progress()
    shown_host = f"[{host}]" if ":" in host else host
    say.info(f"reviewing {queue.origin}: {total} segment(s), {done} done; post-edits -> {name} in {store_file}")
    if session.recovered:
        say.warning(session.recovered)
    say.info(f"token: {token} (the same for this report after a restart: open tabs keep working)")
    say.summary(f"open:  http://{shown_host}:{port}/?token={token}", url=f"http://{shown_host}:{port}/?token={token}")
    if allow_remote and host not in ("127.0.0.1", "localhost", "::1"):
        say.warning("listening on the network: anyone with the token can edit files")
    try:
        serve(app, host, port)
    except OSError as error:
        fail(f"cannot listen on {host}:{port}: {error}")
    finally:
        session.close()


def job_queue(job_id: str, root: object, src: str, tgt: str | None, store_file: Path) -> object:
    """The finished documents of a batch job, with the job's input as their sources (review does not
    import jobs: they are siblings, the command joins them)."""
    from amts.jobs import JobStore
    from amts.review import QueueError, load_translations

    if not store_file.exists():
        raise QueueError(f"{job_id}: no such file, folder or job (no store at {store_file})")
    with JobStore(store_file) as jobs:  # a JobError (no such job, bad store) is an AmtsError: one line
        job = jobs.get(job_id)
        tasks = [t for t in jobs.tasks(job.id) if t.state == "DONE"]
    if "://" in job.spec.input or "://" in job.spec.output:
        raise QueueError(f"job {job.id}: review needs local folders, not {job.spec.output}")
    languages = sorted({t.lang for t in tasks})
    if tgt is None and len(languages) > 1:
        raise QueueError(f"job {job.id} translated into {', '.join(languages)}; choose one with --tgt")
    lang = tgt or (languages[0] if languages else "")
    chosen = [t for t in tasks if t.lang == lang]
    if not chosen:
        raise QueueError(f"job {job.id}: no finished document in {lang or 'any language'} yet")
    out_dir, in_dir = Path(job.spec.output), Path(job.spec.input)
    outputs = [root.resolve(out_dir / t.output) for t in chosen]  # type: ignore[attr-defined]
    sources = {
        root.resolve(out_dir / t.output): (in_dir if in_dir.is_file() else in_dir / t.document)  # type: ignore[attr-defined]
        for t in chosen
    }
    return load_translations(outputs, root, out_dir, job.spec.src or src, lang, sources)


def register(app: typer.Typer) -> None:
    app.command()(review)
